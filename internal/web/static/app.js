// Roster's only script. Everything works without it: dialogs are rendered
// open by the server and closed by their Cancel link. This file only makes
// an open dialog modal (focus stays inside, Escape closes it), has screen
// readers read out the message an action left (the flash), shows times in
// the reader's time zone, gives focus back to the button that opened a
// closed dialog (or, when an action took that control away, to the heading
// of the list it acted on), and closes the header menus on Escape or a click
// elsewhere.
(function () {
  'use strict';

  function modalDialog() {
    var dlg = document.querySelector('dialog[open][data-close]');
    if (!dlg || typeof dlg.showModal !== 'function') {
      return;
    }
    var focused = dlg.querySelector('[autofocus]');
    dlg.close();
    dlg.showModal();
    document.documentElement.classList.add('has-modal');
    if (focused) {
      focused.focus();
    }
    dlg.addEventListener('cancel', function (e) {
      e.preventDefault();
      window.location.href = dlg.getAttribute('data-close');
    });
  }

  // A live region is read out when its content changes, not when a page
  // arrives with it filled in: the flash is copied into the empty one the
  // page carries once the screen reader has seen the page.
  function announceFlash() {
    var flash = document.getElementById('flash');
    var region = document.getElementById('announcer');
    if (!flash || !region) {
      return;
    }
    // An open modal dialog makes the rest of the page inert, the live
    // region included: it is read out from inside the dialog then.
    var dlg = document.querySelector('dialog[open]');
    if (dlg) {
      dlg.appendChild(region);
    }
    window.setTimeout(function () {
      region.textContent = flash.textContent.trim();
      // Read once: from the live region, not again from the page.
      flash.setAttribute('aria-hidden', 'true');
    }, 500);
  }

  // The server writes a moment in UTC ("23 Nov 2026, 13:24 UTC"), since it
  // cannot know the reader's time zone; here it is shown in that zone, in
  // the same form, with the UTC time as its title.
  var months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function localTimes() {
    var zone;
    try {
      zone = new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' });
    } catch (e) {
      return;
    }
    document.querySelectorAll('time[datetime*="T"]').forEach(function (el) {
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) {
        return;
      }
      var name = zone.formatToParts(d).filter(function (p) { return p.type === 'timeZoneName'; })[0];
      el.title = el.textContent;
      el.textContent = d.getDate() + ' ' + months[d.getMonth()] + ' ' + d.getFullYear() + ', ' +
        pad(d.getHours()) + ':' + pad(d.getMinutes()) + (name ? ' ' + name.value : '');
    });
  }

  // A dialog closed leads to the list with the fragment of what opened it
  // (#invite-user): focus goes back to that button, as a modal's does.
  // An action that took its control away (a removal, a revoked
  // invitation or token, a transfer) leads to the heading of the list it
  // acted on (#users-heading, #tokens-heading), which takes focus by its
  // tabindex="-1".
  // A row's fragment names the row, where the next Tab resumes.
  function focusOpener() {
    if (!location.hash || document.querySelector('dialog[open]')) {
      return;
    }
    var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.matches('a[href], button, [tabindex="-1"]')) {
      el.focus();
    }
  }

  function menus() {
    var all = document.querySelectorAll('header details');
    document.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape') {
        return;
      }
      all.forEach(function (d) {
        if (d.open) {
          d.open = false;
          d.querySelector('summary').focus();
        }
      });
    });
    document.addEventListener('click', function (e) {
      all.forEach(function (d) {
        if (d.open && !d.contains(e.target)) {
          d.open = false;
        }
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    modalDialog();
    announceFlash();
    localTimes();
    focusOpener();
    menus();
  });
})();
