// The server answered (new plan or new status): release the next pending bar sync.
// args: sources (the two draggable ColumnDataSources and the ε slider's request source).
for (const source of sources) {
  const st = source.__tp_drag;
  if (st == null || !st.inflight) {
    continue;
  }
  st.inflight = false;
  if (st.dirty && st.send != null) {
    st.send();  // the newest pending change (skipped if the server already has it)
  }
}
