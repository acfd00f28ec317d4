// One live stream per browser, not one per tab. A browser opens at most six HTTP/1.1
// connections to a host and a stream holds one for as long as its page is open: with a
// stream per tab, the seventh tab never loads. So the tab holding a Web Lock (one lock
// per person) opens /events and relays every message over a BroadcastChannel; the other
// tabs apply what it relays as the hx-sse extension would have. When that tab closes,
// the next one gets the lock and opens the stream from the last id it applied, and the
// server replays whatever was published in between. Every tab drops an id it has
// applied already, so the replays that hand-overs cause are harmless.
//
// A hidden leading tab keeps its stream while another tab is visible, and gives it up
// when none is (the server's replay catches up when one becomes visible again).
// A browser without Web Locks or BroadcastChannel keeps one stream per tab.
(function () {
  'use strict'
  var holder = document.getElementById('live-stream')
  if (!holder || !window.htmx) return

  /** Messages the leader keeps to hand a tab what arrived while it was loading. */
  var KEPT = 200
  /** Ids a tab remembers to drop a message it already applied. */
  var REMEMBERED = 512
  /** How long a hidden leader waits for a visible tab to answer before it lets go. */
  var VISIBLE_ANSWER_MS = 500

  var shared = !!(navigator.locks && window.BroadcastChannel)
  var tab = Math.random().toString(36).slice(2)
  /** The page was rendered with everything up to this id: older messages are not news to it. */
  var floor = holder.getAttribute('data-since') || ''
  var lastId = floor
  var applied = new Set()
  var channel = null
  var stream = null
  /** Where a relayed message's HTML lands (its <hx-partial>s go to their own targets). */
  var sink = null
  var leading = false
  var paused = false
  var kept = []
  /** Every message above this id is in `kept` (the leader's stream started or was trimmed there). */
  var keptFrom = null
  var askTimer = null
  /** The listener for answers to the last "anyone visible?" */
  var onAnswer = null

  /** Ids are bigints written in decimal. */
  function compare(a, b) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
  }

  /** True the first time this tab sees an id above its page's own mark. */
  function isNews(id) {
    if (!id) return true
    if (applied.has(id) || (floor && compare(id, floor) <= 0)) return false
    applied.add(id)
    if (applied.size > REMEMBERED) applied.delete(applied.values().next().value)
    if (!lastId || compare(id, lastId) > 0) lastId = id
    return true
  }

  /** What this tab's stream is doing, on the page for anyone debugging it (and the tests). */
  function state(name) {
    holder.setAttribute('data-state', name)
  }

  function openStream(since) {
    if (stream) return
    paused = false
    state(shared ? 'leading' : 'own-stream')
    keptFrom = since || lastId
    stream = document.createElement('div')
    stream.hidden = true
    stream.setAttribute('hx-sse:connect', '/events' + (keptFrom ? '?since=' + encodeURIComponent(keptFrom) : ''))
    // Visibility is this script's business when the stream is shared (see above).
    if (shared) stream.setAttribute('hx-config', '{"sse":{"pauseOnBackground":false}}')
    holder.appendChild(stream)
    htmx.process(stream)
  }

  function closeStream() {
    if (!stream) return
    var element = stream
    stream = null
    // A 'delete' swap runs htmx's cleanup, which makes the SSE extension abort the request.
    htmx.swap({ text: '', sourceElement: element, target: element, swap: 'delete' })
  }

  /** Applies a message relayed by the leading tab, as the hx-sse extension applies its own. */
  function apply(message) {
    if (!isNews(message.id)) return
    if (message.event) {
      htmx.trigger(holder, message.event, { data: message.data, id: message.id })
      return
    }
    // Not the holder itself: a swap into it would replace this tab's own stream element.
    if (!sink) {
      sink = document.createElement('div')
      sink.hidden = true
      holder.appendChild(sink)
    }
    htmx.swap({ text: message.data, sourceElement: sink, target: sink, swap: 'innerHTML swapEmpty:false' })
  }

  // The leader's own stream: the extension applies each message to this page; this
  // relays it first, and drops one the page has seen.
  holder.addEventListener('htmx:sse:before:message', function (event) {
    var message = event.detail.message
    if (channel) {
      var relayed = { type: 'message', id: message.id, event: message.event, data: message.data }
      kept.push(relayed)
      if (kept.length > KEPT) keptFrom = kept.shift().id
      channel.postMessage(relayed)
    }
    if (!isNews(message.id)) event.detail.cancelled = true
  })

  // After htmx's own start-up (it processes the page on DOMContentLoaded), so the
  // stream element is processed once.
  function whenReady(start) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
    else start()
  }

  if (!shared) {
    whenReady(function () { openStream() })
    return
  }

  channel = new BroadcastChannel('medianest-live:' + holder.getAttribute('data-viewer'))
  channel.onmessage = function (event) {
    var message = event.data
    if (!message || typeof message !== 'object') return
    if (message.type === 'message') {
      if (!leading) apply(message)
    } else if (message.type === 'replay') {
      if (message.to === tab) message.messages.forEach(apply)
    } else if (message.type === 'hello') {
      if (leading) greet(message)
    } else if (message.type === 'visible') {
      if (leading && paused) openStream()
    } else if (message.type === 'anyone-visible') {
      if (!document.hidden) channel.postMessage({ type: 'visible' })
    } else if (message.type === 'hidden') {
      // The tab it kept the stream for may have been the last one on screen.
      if (leading && document.hidden && !paused) letGoUnlessWatched()
    }
  }

  /** A tab that just loaded gets what the stream brought since its page's mark. */
  function greet(hello) {
    var since = hello.since || ''
    if (paused) {
      openStream(since && compare(since, lastId) < 0 ? since : lastId)
    } else if (keptFrom && since && compare(since, keptFrom) >= 0) {
      var missed = kept.filter(function (m) { return compare(m.id, since) > 0 })
      if (missed.length) channel.postMessage({ type: 'replay', to: hello.tab, messages: missed })
    } else {
      // Its page is older than what this stream holds: start again from its mark, and
      // every tab drops what it has applied already.
      closeStream()
      openStream(since)
    }
  }

  /** Hidden and leading: keep the stream only while some other tab is on screen. */
  function letGoUnlessWatched() {
    var answered = false
    clearTimeout(askTimer)
    if (onAnswer) channel.removeEventListener('message', onAnswer)
    onAnswer = function (event) { if (event.data && event.data.type === 'visible') answered = true }
    channel.addEventListener('message', onAnswer)
    channel.postMessage({ type: 'anyone-visible' })
    askTimer = setTimeout(function () {
      channel.removeEventListener('message', onAnswer)
      onAnswer = null
      if (!document.hidden || !leading) return
      if (answered) {
        state('leading-for-others')
      } else {
        closeStream()
        paused = true
        state('paused')
      }
    }, VISIBLE_ANSWER_MS)
  }

  document.addEventListener('visibilitychange', function () {
    if (document.hidden && leading) {
      letGoUnlessWatched()
    } else if (leading) {
      clearTimeout(askTimer)
      if (paused) openStream()
      else state('leading')
    } else {
      channel.postMessage({ type: document.hidden ? 'hidden' : 'visible' })
    }
  })

  function start() {
    state('following')
    channel.postMessage({ type: 'hello', tab: tab, since: floor })
    navigator.locks.request('medianest-live:' + holder.getAttribute('data-viewer'), function () {
      leading = true
      kept = []
      openStream()
      if (document.hidden) letGoUnlessWatched()
      // Held for as long as the page lives: closing the tab hands it to the next one.
      return new Promise(function () {})
    })
  }

  whenReady(start)
})()
