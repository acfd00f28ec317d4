// Dates in pushed HTML, in each reader's own zone. A live push is one HTML for everyone
// in its audience, so the server writes its dates in the site's zone, with the zone's
// abbreviation (ctx.http.formatDate(null, …)): right for anyone, but not in the clock of a
// reader who chose another zone on /account. The page names that reader's zone
// (<html data-time-zone>); after htmx swaps content in (a push, or any fragment), every
// <time datetime data-style> in it is written again in that zone, as the server writes
// the reader's own pages. Server-rendered pages are right without this: it touches only
// what is swapped in, and a date already in the reader's zone comes out the same.
(function () {
  'use strict'
  var zone = document.documentElement.getAttribute('data-time-zone')
  if (!zone || !window.Intl || !Intl.DateTimeFormat) return

  var STYLES = { date: true, datetime: true, time: true }
  var SELECTOR = 'time[datetime][data-style]'
  var formats = {}

  /**
   * A copy of dateFormatOptions(zone, style) in core/time-zones.ts (the reader's own
   * zone, so not `named`): keep the two in step, or a pushed date reads differently from
   * the same date on a page.
   */
  function dateFormatOptions(style) {
    var options = { timeZone: zone, hourCycle: 'h23' }
    if (style !== 'time') { options.day = 'numeric'; options.month = 'short'; options.year = 'numeric' }
    if (style !== 'date') { options.hour = '2-digit'; options.minute = '2-digit' }
    if (style === 'datetime') options.timeZoneName = 'short'
    return options
  }

  function formatFor(style) {
    if (!(style in formats)) {
      try {
        formats[style] = new Intl.DateTimeFormat('en-GB', dateFormatOptions(style))
      } catch (error) {
        // A zone this browser does not know: the site's zone stays, and says which it is.
        formats[style] = null
      }
    }
    return formats[style]
  }

  function rewrite(element) {
    var style = element.getAttribute('data-style')
    if (!STYLES[style]) return
    var date = new Date(element.getAttribute('datetime'))
    var format = formatFor(style)
    if (!format || isNaN(date.getTime())) return
    var text = format.format(date)
    if (element.textContent !== text) element.textContent = text
  }

  function rewriteWithin(node) {
    if (!node || node.nodeType !== 1) return
    if (node.matches(SELECTOR)) rewrite(node)
    var found = node.querySelectorAll(SELECTOR)
    for (var i = 0; i < found.length; i++) rewrite(found[i])
  }

  // htmx 4 fires htmx:after:settle on each swap's target (a live message's every
  // <hx-partial> is a swap of its own) with the nodes it put in; htmx:after:swap fires
  // once, on the element that asked, and names none of them.
  document.addEventListener('htmx:after:settle', function (event) {
    var added = event.detail && event.detail.newContent
    if (added && added.length) {
      for (var i = 0; i < added.length; i++) rewriteWithin(added[i])
    } else {
      rewriteWithin(event.target)
    }
  })
})()
