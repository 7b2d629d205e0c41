// leakprobe dashboard script: progressive enhancement only; every page works without it.

// A running scan's page (`id="progress"`): follow the scan's event stream and reload the page
// when it is done or failed, so the server renders the result. Without EventSource, or if the
// stream breaks, the page says to reload; nothing is logged.
(function () {
  'use strict';
  var block = document.getElementById('progress');
  if (!block || typeof window.EventSource !== 'function') {
    return;
  }
  var url = block.getAttribute('data-events');
  if (!url) {
    return;
  }
  var bar = block.querySelector('progress');
  function field(name, value) {
    var el = block.querySelector('[data-field="' + name + '"]');
    if (el && value !== null && value !== undefined) {
      el.textContent = String(value);
    }
  }
  function show(data) {
    var scan;
    try {
      scan = JSON.parse(data);
    } catch (e) {
      return;
    }
    field('status', scan.status);
    field('phase', scan.phase);
    field('requests', scan.requests);
    field('budget', scan.budget);
    if (bar && scan.budget > 0) {
      bar.max = scan.budget;
      bar.value = Math.min(scan.requests || 0, scan.budget);
      bar.textContent = (scan.requests || 0) + ' of ' + scan.budget;
    }
  }
  var source = new EventSource(url);
  var finished = false;
  function finish(event) {
    finished = true;
    source.close();
    show(event.data);
    window.location.reload();
  }
  source.addEventListener('progress', function (event) {
    show(event.data);
  });
  source.addEventListener('done', finish);
  source.addEventListener('failed', finish);
  source.addEventListener('error', function () {
    if (finished) {
      return;
    }
    // The server ends the stream after `done`/`failed`; anything else is a broken stream, and a
    // browser would retry it for ever.
    source.close();
    block.setAttribute('data-stream', 'closed');
  });
})();
