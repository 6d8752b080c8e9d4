// Roster's only script. Everything works without it: dialogs are rendered
// open by the server and closed by their Cancel link. This file only makes
// an open dialog modal (focus stays inside, Escape closes it), has screen
// readers read out the message an action left (the flash), shows times in
// the reader's time zone, gives focus back to the button that opened a
// closed dialog or sent an action, on the toolbar or on a row (or, when an
// action took that control away, to the heading of the list it acted on),
// and closes the header menus on Escape or a click elsewhere.
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
  // A row's fragment names the row (#member-…), where the next Tab resumes
  // without the script. With it, focus goes back to the row's control that
  // was used, remembered by its label when it was clicked (rememberOpener),
  // or to the row's first control when that one changed (Disable became
  // Enable); and to the list's heading when the row left the list (a new
  // role outside the list's filter).
  var openerKey = 'roster.opener';

  function rememberOpener() {
    document.addEventListener('click', function (e) {
      var c = e.target.closest ? e.target.closest('tr[id] a[href], tr[id] button') : null;
      if (!c) {
        return;
      }
      try {
        window.sessionStorage.setItem(openerKey, c.closest('tr[id]').id + '\n' + (c.getAttribute('aria-label') || ''));
      } catch (err) {
        // No storage: the row's first control then.
      }
    });
  }

  function savedOpener(rowID) {
    var saved = null;
    try {
      saved = window.sessionStorage.getItem(openerKey);
      window.sessionStorage.removeItem(openerKey);
    } catch (err) {
      return '';
    }
    return saved && saved.indexOf(rowID + '\n') === 0 ? saved.slice(rowID.length + 1) : '';
  }

  function focusOpener() {
    if (!location.hash || document.querySelector('dialog[open]')) {
      return;
    }
    var id = decodeURIComponent(location.hash.slice(1));
    var el = document.getElementById(id);
    var row = el && el.matches('tr');
    if (row) {
      var label = savedOpener(id);
      var controls = el.querySelectorAll('a[href], button');
      el = controls[0] || null;
      for (var i = 0; i < controls.length; i++) {
        if (label && controls[i].getAttribute('aria-label') === label) {
          el = controls[i];
        }
      }
    } else if (!el && id.indexOf('member-') === 0) {
      el = document.getElementById('users-heading');
    }
    if (!el || !el.matches('a[href], button, [tabindex="-1"]')) {
      return;
    }
    el.focus();
    if (row) {
      // A browser scrolling to a fragment that cannot take focus (the
      // row) takes focus away, once the page has loaded: give it back.
      window.addEventListener('load', function () {
        window.setTimeout(function () {
          if (!document.activeElement || document.activeElement === document.body) {
            el.focus();
          }
        }, 0);
      });
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
    rememberOpener();
    focusOpener();
    menus();
  });
})();
