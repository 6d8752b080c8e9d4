package browser

import (
	"context"

	"github.com/chromedp/chromedp"
)

// chromedpNoValidate turns off the browser's own form checks on the page,
// so that a test can see what the server answers to input a person could
// still send (an old browser, a script).
func chromedpNoValidate() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](`(() => { document.querySelectorAll("form").forEach(f => f.noValidate = true); return true; })()`)(ctx, t)
		return chromedp.Void{}, err
	}
}
