// Confirmation dialogs, for every plugin. A link with data-dialog="<id>" opens that
// <dialog> as a modal instead of following its href, which stays the confirm page a
// browser without JavaScript (or without <dialog>) gets. A [data-dialog-close] button
// closes its dialog, as Escape does. When a request from inside a dialog fails with
// anything but 422 (a form's own errors, re-rendered where it stands), the dialog
// closes: the error goes to the page's alert region, which a modal would hide.
(function () {
  'use strict'
  document.addEventListener('click', function (event) {
    var target = event.target
    if (!target || !target.closest) return
    var opener = target.closest('[data-dialog]')
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute('data-dialog'))
      if (!dialog || typeof dialog.showModal !== 'function') return
      event.preventDefault()
      dialog.showModal()
      return
    }
    var closer = target.closest('[data-dialog-close]')
    var open = closer && closer.closest('dialog')
    if (open) open.close()
  })

  var closeAfterError = function (event) {
    var ctx = event.detail && event.detail.ctx
    if (ctx && ctx.response && ctx.response.status === 422) return
    var open = event.target && event.target.closest && event.target.closest('dialog[open]')
    if (open) open.close()
  }
  document.addEventListener('htmx:response:error', closeAfterError)
  document.addEventListener('htmx:error', closeAfterError)
})()
