// Roster's only script. Everything works without it: dialogs are rendered
// open by the server and closed by their Cancel link. This file only makes
// an open dialog modal (focus stays inside, Escape closes it), applies the
// list's filters as soon as a dropdown changes, and closes the header menus
// on Escape or a click elsewhere.
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

  function autoFilters() {
    var form = document.querySelector('form.filters');
    if (!form) {
      return;
    }
    form.querySelectorAll('select').forEach(function (sel) {
      sel.addEventListener('change', function () {
        if (typeof form.requestSubmit === 'function') {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    });
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
    autoFilters();
    menus();
  });
})();
