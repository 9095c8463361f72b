// The emu web debugger's page: one WebSocket (/ws) carrying JSON requests, replies and pushed state.
'use strict';

const $ = (id) => document.getElementById(id);
const MaxHypercallRows = 500;
const MaxTraceRows = 300;

let socket = null;
let nextId = 1;
const pending = new Map();      // request id -> {resolve, reject}
let lastStopped = null;         // the previous stop's registers, for highlighting changes
let shownStops = -1;
let machineState = { running: false, exited: false };
let execBreakpoints = new Set();  // addresses ("0x0010abcd") of the execution breakpoints, for the disassembly

function connect() {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.onopen = () => setStatus('connected', 'connected');
  socket.onclose = () => {
    setStatus('disconnected', 'disconnected (the run is over or the emulator stopped)');
    for (const p of pending.values()) p.reject(new Error('disconnected'));
    pending.clear();
    updateButtons();
  };
  socket.onmessage = (event) => {
    let m;
    try { m = JSON.parse(event.data); } catch { return; }
    switch (m.type) {
      case 'state': showState(m); break;
      case 'console': appendConsole(m.text); break;
      case 'trace': appendTrace(m); break;
      case 'hypercalls': appendHypercalls(m.entries); break;
      case 'reply':
      case 'error': settle(m); break;
    }
  };
}

function settle(m) {
  const p = m.id != null ? pending.get(m.id) : null;
  if (m.type === 'error') showMessage(m.error);
  if (!p) return;
  pending.delete(m.id);
  if (m.type === 'error') p.reject(new Error(m.error)); else p.resolve(m);
}

function request(cmd, fields = {}) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    socket.send(JSON.stringify({ cmd, id, ...fields }));
  });
}

// Fire and forget: errors are shown in the message line by settle().
function command(cmd, fields) {
  showMessage('');
  request(cmd, fields).catch(() => {});
}

function showMessage(text) { $('messages').textContent = text; }

function setStatus(state, text) {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text;
}

function showState(m) {
  machineState = m;
  if (m.exited) {
    setStatus('exited', `the run is over${m.detail ? ': ' + m.detail : ''}${m.exitStatus != null ? ` (exit status ${m.exitStatus})` : ''}`);
  } else if (m.running) {
    setStatus('running', `running… (tick ${m.tick})`);
  } else {
    setStatus('stopped', `stopped: ${m.stop.detail} at ${m.stop.eip}${m.where ? ' <' + m.where + '>' : ''}, tick ${m.tick}`);
    $('status').dataset.stops = m.stops;
    if (m.stops !== shownStops) {
      showRegisters(m.registers, m.flags);
      showDisassembly(m.disassembly, m.where);
      $('screen').textContent = (m.screen || []).join('\n');
      showBreakpoints(m.breakpoints);
      shownStops = m.stops;
    }
  }
  updateButtons();
}

function updateButtons() {
  const connected = socket && socket.readyState === WebSocket.OPEN;
  const stopped = connected && !machineState.running && !machineState.exited;
  for (const id of ['btn-step', 'btn-stepover', 'btn-continue', 'btn-hypercall', 'btn-reverse', 'btn-reverse-continue']) $(id).disabled = !stopped;
  $('btn-pause').disabled = !(connected && machineState.running);
  $('btn-kill').disabled = !connected || machineState.exited;
}

function showRegisters(regs, flags) {
  const table = $('registers');
  table.textContent = '';
  const names = Object.keys(regs);
  for (let i = 0; i < names.length; i += 2) {
    const row = table.insertRow();
    for (const name of names.slice(i, i + 2)) {
      const n = row.insertCell(); n.className = 'name'; n.textContent = name;
      const v = row.insertCell();
      v.className = 'value';
      v.dataset.reg = name;
      v.id = 'reg-' + name;
      v.textContent = regs[name];
      if (lastStopped && lastStopped[name] !== regs[name]) v.classList.add('changed');
    }
  }
  $('flags').textContent = flags;
  lastStopped = regs;
}

function showDisassembly(lines, where) {
  $('where').textContent = where ? `in ${where}` : '';
  const table = $('disassembly');
  table.textContent = '';
  for (const l of lines) {
    const row = table.insertRow();
    if (l.current) row.classList.add('current');
    row.dataset.address = l.address;
    const cells = [l.current ? '→' : '', l.address, l.symbol ? `<${l.symbol}>` : '', l.bytes, l.text];
    const classes = ['mark', 'addr', 'sym', 'bytes', 'text'];
    cells.forEach((text, k) => { const c = row.insertCell(); c.className = classes[k]; c.textContent = text; });
    row.cells[1].title = 'click: set or clear a breakpoint here';
    row.cells[1].onclick = () => toggleBreakpoint(l.address);
  }
  markBreakpoints();
  const current = table.querySelector('tr.current');
  if (current) current.scrollIntoView({ block: 'nearest' });
}

function markBreakpoints() {
  for (const row of $('disassembly').rows) row.classList.toggle('bp', execBreakpoints.has(row.dataset.address));
}

function toggleBreakpoint(address) {
  showMessage('');
  request(execBreakpoints.has(address) ? 'unbreak' : 'break', { address })
    .then((m) => showBreakpoints(m.breakpoints))
    .catch(() => {});
}

function showBreakpoints(list) {
  execBreakpoints = new Set((list || []).filter((b) => b.what.startsWith('exec 0x')).map((b) => b.what.split(' ')[1]));
  markBreakpoints();
  const ul = $('breakpoints');
  ul.textContent = '';
  for (const b of list || []) {
    const li = document.createElement('li');
    li.textContent = b.what + (b.hits != null ? ` (${b.hits} hits)` : '');
    const remove = document.createElement('button');
    remove.textContent = '✕';
    remove.title = 'remove';
    remove.onclick = () => removeBreakpoint(b.what);
    li.appendChild(remove);
    ul.appendChild(li);
  }
}

// The engine lists breakpoints as "exec [physical] 0x... [if ...]", "port 0x...", "vector N",
// "write|read|access [physical] 0x... (N bytes)"; this page adds "hypercall NAME".
function removeBreakpoint(what) {
  const words = what.split(' ');
  const physical = words[1] === 'physical';
  const at = physical ? 2 : 1;
  const space = physical ? 'physical' : 'virtual';
  const after = (m) => m && m.breakpoints && showBreakpoints(m.breakpoints);
  let p;
  switch (words[0]) {
    case 'exec': p = request('unbreak', { address: words[at], space }); break;
    case 'port': p = request('unbreakPort', { port: words[1] }); break;
    case 'vector': p = request('unbreakVector', { vector: words[1] }); break;
    case 'write': case 'read': case 'access':
      p = request('unwatch', { address: words[at], length: words[at + 1].slice(1), space, kind: words[0] }); break;
    case 'hypercall': p = request('unbreakHypercall', { what: words[1] }); break;
    default: return;
  }
  p.then(after).catch(() => {});
}

function addBreakpoint(event) {
  event.preventDefault();
  showMessage('');
  const kind = $('bp-kind').value;
  const value = $('bp-value').value.trim();
  const extra = $('bp-extra').value.trim();
  let p;
  switch (kind) {
    case 'address': p = request('break', { address: value, condition: extra }); break;
    case 'physical': p = request('break', { address: value, condition: extra, space: 'physical' }); break;
    case 'hypercall': p = request('breakHypercall', { what: value }); break;
    case 'port': p = request('breakPort', { port: value }); break;
    case 'vector': p = request('breakVector', { vector: value }); break;
    case 'watch': p = request('watch', { address: value, length: extra || '4' }); break;
    case 'physical-watch': p = request('watch', { address: value, length: extra || '4', space: 'physical' }); break;
    case 'read-watch': p = request('watch', { address: value, length: extra || '4', kind: 'read' }); break;
    case 'access-watch': p = request('watch', { address: value, length: extra || '4', kind: 'access' }); break;
  }
  p.then((m) => showBreakpoints(m.breakpoints)).catch(() => {});
}

function showMemory(event) {
  event.preventDefault();
  showMessage('');
  const space = $('mem-space').value;
  request('memory', { address: $('mem-address').value.trim(), length: 256, space })
    .then((m) => {
      const base = parseInt(m.address, 16);
      const rows = [];
      for (let off = 0; off < m.length; off += 16) {
        const hex = m.hex.slice(off * 2, (off + 16) * 2);
        const bytes = hex.match(/../g) || [];
        const ascii = bytes.map((b) => {
          if (b === '??') return ' ';
          const c = parseInt(b, 16);
          return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
        }).join('');
        rows.push(`${'0x' + ((base + off) >>> 0).toString(16).padStart(8, '0')}  ${bytes.join(' ').padEnd(47)}  ${ascii}`);
      }
      $('memory').textContent = `${space}\n` + rows.join('\n');
    })
    .catch(() => {});
}

function showWalk(event) {
  event.preventDefault();
  showMessage('');
  request('walk', { address: $('walk-address').value.trim() })
    .then((m) => { $('walk').textContent = m.text; })
    .catch(() => {});
}

function appendConsole(text) {
  const pre = $('console');
  pre.textContent = (pre.textContent + text).slice(-20000);
  pre.parentElement.scrollTop = pre.parentElement.scrollHeight;
}

function appendTrace(m) {
  const ol = $('trace');
  if (m.skipped) {
    const li = document.createElement('li');
    li.textContent = `… ${m.skipped} events skipped`;
    ol.appendChild(li);
  }
  for (const e of m.events) {
    const li = document.createElement('li');
    const { i, type, ...fields } = e;
    li.textContent = `${i} ${type} ${JSON.stringify(fields)}`;
    ol.appendChild(li);
  }
  while (ol.children.length > MaxTraceRows) ol.removeChild(ol.firstChild);
  ol.parentElement.scrollTop = ol.parentElement.scrollHeight;
}

function appendHypercalls(entries) {
  const ol = $('hypercalls');
  for (const e of entries) {
    const li = document.createElement('li');
    li.dataset.seq = e.seq;
    li.dataset.name = e.name;
    li.dataset.result = e.result;
    if (e.result < 0) li.className = 'failed';
    li.textContent = `#${e.seq} @${e.tick} ${e.summary}`;
    li.onclick = () => showHypercall(li, e.seq);
    ol.appendChild(li);
  }
  while (ol.children.length > MaxHypercallRows) ol.removeChild(ol.firstChild);
  ol.scrollTop = ol.scrollHeight;
}

function showHypercall(li, seq) {
  for (const other of $('hypercalls').querySelectorAll('li.selected')) other.classList.remove('selected');
  li.classList.add('selected');
  request('hypercall', { seq })
    .then((m) => {
      const e = m.entry, c = e.context;
      $('hypercall-detail').textContent = [
        `#${e.seq} ${e.name} (${e.number}) = ${e.result}${e.error ? ' ' + e.error : ''}`,
        `tick (instructions executed): ${e.tick}`,
        `registers: ${Object.entries(e.registers).map(([k, v]) => `${k}=${v}`).join(' ')}`,
        `returned to: eip ${c.eip}${c.eipSymbol ? ' <' + c.eipSymbol + '>' : ''}, esp ${c.esp}, cpl ${c.cpl}, cr3 ${c.cr3}${c.inMulticall ? ', in a multicall' : ''}`,
        `caller (return address at esp): ${c.returnAddress ?? '?'}${c.returnSymbol ? ' <' + c.returnSymbol + '>' : ''}`,
        `arguments: ${JSON.stringify(e.arguments, null, 2)}`,
      ].join('\n');
    })
    .catch(() => {});
}

const keys = { s: 'step', n: 'stepOver', c: 'continue', p: 'pause', h: 'runToHypercall', r: 'reverseStep', R: 'reverseContinue' };

function wire() {
  $('btn-step').onclick = () => command('step');
  $('btn-stepover').onclick = () => command('stepOver');
  $('btn-continue').onclick = () => command('continue');
  $('btn-pause').onclick = () => command('pause');
  $('btn-hypercall').onclick = () => command('runToHypercall');
  $('btn-reverse').onclick = () => command('reverseStep');
  $('btn-reverse-continue').onclick = () => command('reverseContinue');
  $('btn-kill').onclick = () => command('kill');
  $('bp-form').onsubmit = addBreakpoint;
  $('mem-form').onsubmit = showMemory;
  $('walk-form').onsubmit = showWalk;
  document.addEventListener('keydown', (e) => {
    if (e.target.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
    const cmd = keys[e.key];
    if (cmd) { e.preventDefault(); command(cmd); }
  });
  updateButtons();
  connect();
}

wire();
