// Copy buttons, for every page: <button data-copy="<input id>"> copies that input's
// value to the clipboard and says so in the [data-copied-for="<input id>"] status next
// to it. Without JavaScript (or clipboard access) the button does nothing and the
// value stays in a read-only input to select by hand.
(function () {
  'use strict'
  document.addEventListener('click', function (event) {
    var button = event.target && event.target.closest && event.target.closest('button[data-copy]')
    if (!button) return
    var id = button.getAttribute('data-copy')
    var input = document.getElementById(id)
    var status = document.querySelector('[data-copied-for="' + id + '"]')
    if (!input) return
    var say = function (text) { if (status) status.textContent = text }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(function () { say('Copied.') }, function () {
        input.select()
        say('Copying was not allowed: it is selected, copy it by hand.')
      })
    } else {
      input.select()
      say('Selected: copy it by hand.')
    }
  })
})()
