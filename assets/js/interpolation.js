// /interpolation, in the browser: the time slider, the play button, and the points of the
// plane moving along their matched segments (no round trip: the server sent the segments).
// Args: slider, play (button), request (t to the server, via the flow), answer (the flow's
// answer model), paths (x0, y0, x1, y1 of each matched pair, from the server), moving and fade
// (drawn here), colors (source, target), play_ms, play_step, mode: "slider" (t moved),
// "play" (the button), "paths" (the server sent a new matching).

function draw_at(t) {
  const d = paths.data;
  const n = d.x0.length;
  const x = new Array(n), y = new Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (1 - t) * d.x0[i] + t * d.x1[i];
    y[i] = (1 - t) * d.y0[i] + t * d.y1[i];
  }
  moving.data = {x: x, y: y};
  const alpha = [], group = [];
  for (let i = 0; i < n; i++) { alpha.push(1 - t); group.push(colors[0]); }
  for (let i = 0; i < n; i++) { alpha.push(t); group.push(colors[1]); }
  fade.data = {x: Array.from(d.x0).concat(Array.from(d.x1)),
               y: Array.from(d.y0).concat(Array.from(d.y1)), alpha: alpha, group: group};
}

function send_time(t) {
  flow_request(request, answer, () => [t], () => { request.data = {t: [t]}; });
}

function stop_playing() {
  if (play.__ot_timer != null) { clearInterval(play.__ot_timer); play.__ot_timer = null; }
  play.label = "▶ Play";
}

if (mode === "slider") {
  const t = Math.min(1, Math.max(0, cb_obj.value));
  draw_at(t);
  send_time(t);
} else if (mode === "paths") {
  draw_at(Math.min(1, Math.max(0, slider.value)));
} else if (mode === "play") {
  if (play.__ot_timer != null) {
    stop_playing();
  } else {
    if (slider.value >= 1) { slider.value = 0; }
    play.label = "⏸ Pause";
    play.__ot_timer = setInterval(() => {
      const next = Math.round((slider.value + play_step) * 100) / 100;
      slider.value = Math.min(1, next);  // the slider's change draws and asks the server
      if (next >= 1) { stop_playing(); }
    }, play_ms);
  }
}
