// Nhịp — the office app. One small script, no library, no inline code (the page's
// Content-Security-Policy forbids it). Every text shown comes from /app/words (the node's
// texts, Vietnamese or English); every value is put in the page as text, never as HTML.
// Written for the browsers of old office PCs (Chromium and Firefox ESR of 2020): ES2017.
'use strict';

var W = {};            // the words, by key
var me = null;         // who is logged in (GET /app/me)
var lang = readCookie('nhip_lang') || 'vi';
var view = document.getElementById('view');
var refreshTimer = null;

// ---- small helpers -------------------------------------------------------------------

function t(key) { return Object.prototype.hasOwnProperty.call(W, key) ? W[key] : key; }

function fill(key, values) {
  return t(key).replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
}

function readCookie(name) {
  var found = document.cookie.split(';').map(function (p) { return p.trim().split('='); })
    .filter(function (p) { return p[0] === name; })[0];
  return found ? decodeURIComponent(found[1] || '') : null;
}

// el('tag.class', {attr: value, onclick: fn}, child, 'text', [children]) — text is text.
function el(spec, attrs) {
  var parts = spec.split('.');
  var node = document.createElement(parts[0]);
  if (parts.length > 1) node.className = parts.slice(1).join(' ');
  var children = Array.prototype.slice.call(arguments, 2);
  if (attrs) {
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key.indexOf('on') === 0) node.addEventListener(key.slice(2), value);
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value === true ? '' : value);
    });
  }
  (function add(list) {
    list.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) add(child);
      else if (typeof child === 'string' || typeof child === 'number') node.appendChild(document.createTextNode(String(child)));
      else node.appendChild(child);
    });
  })(children);
  return node;
}

// Whether the person has typed into the page drawn last: a change at the node then does not
// redraw it under their hands.
var edited = false;
var edits = 0;          // inputs so far
var liveFrom = null;    // `edits` when a redraw for a change at the node began
view.addEventListener('input', function () { edited = true; edits += 1; });

var drawn = null;       // what the page shows: its address and the data it was drawn from
var drawnHash = null;   // the address of what the page shows
var drawnEdits = 0;     // `edits` when it was drawn, or when a write of the person's used them

// Puts `node` in the page; `data` is what it was drawn from (if given, a redraw that would draw
// the same thing at the same address is skipped — for a change at the node, or a navigation
// racing one: nothing moves under the pointer, and a field being clicked into stays the one).
function show(node, data) {
  var key = data === undefined ? null : location.hash + '|' + JSON.stringify(data);
  var live = liveFrom !== null;
  // A redraw gives way to what the person typed: since a redraw for a change at the node
  // began, or into this very page since it was drawn (two redraws may race, one for a change
  // and one for a navigation) — until a write of theirs has used what they typed.
  var typed = (live && edits !== liveFrom) || (location.hash === drawnHash && edits !== drawnEdits);
  liveFrom = null;
  if (typed || (key !== null && key === drawn)) return;
  drawn = key;
  drawnHash = location.hash;
  drawnEdits = edits;
  view.textContent = '';
  view.appendChild(node);
  edited = false;
}

function pad(n) { return n < 10 ? '0' + n : String(n); }

// 2025-12-31 → 31/12/2025
function date(iso) {
  if (!iso) return '—';
  var p = iso.split('-');
  return p.length === 3 ? p[2] + '/' + p[1] + '/' + p[0] : iso;
}

// ms → "14:20 31/12/2025" (24-hour clock, as offices write it)
function when(ms) {
  if (!ms) return '—';
  var d = new Date(ms);
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ' ' + pad(d.getDate()) + '/' + pad(d.getMonth() + 1) + '/' + d.getFullYear();
}

// 1234.5 → "1.234,5" in Vietnamese, "1,234.5" in English
function number(value, decimals) {
  var fixed = Number(value).toFixed(decimals || 0).split('.');
  var thousands = lang === 'en' ? ',' : '.';
  var point = lang === 'en' ? '.' : ',';
  var whole = fixed[0].replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
  return fixed.length > 1 ? whole + point + fixed[1] : whole;
}

function api(path, body) {
  var options = { credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    options.method = 'POST';
    options.headers['Content-Type'] = 'application/json';
    if (me) options.headers['X-Nhip-Csrf'] = me.csrf;
    options.body = JSON.stringify(body);
  }
  var sep = path.indexOf('?') < 0 ? '?' : '&';
  return fetch(path + sep + 'lang=' + lang, options).then(function (response) {
    return response.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
      if (response.status === 401 && path !== '/app/login') { me = null; loginPage(); throw new Error(''); }
      if (!response.ok) throw new Error((data && data.error) || text || response.statusText);
      // A write went through: what the person typed is used, and the page may be drawn anew.
      if (body !== undefined) drawnEdits = edits;
      return data;
    });
  });
}

// Sends a file's bytes as they are (an appendix to check or import).
function upload(path, file) {
  return fetch(path, {
    method: 'POST', credentials: 'same-origin', body: file,
    headers: { 'Content-Type': 'application/octet-stream', 'X-Nhip-Csrf': me ? me.csrf : '' }
  }).then(function (response) {
    return response.json().then(function (data) {
      if (!response.ok) throw new Error(data.error || response.statusText);
      drawnEdits = edits;
      return data;
    });
  });
}

function errorBox(error) { return el('div.error', { role: 'alert' }, error.message || String(error)); }

function link(text, hash) { return el('a', { href: hash }, text); }

function deadlineTag(row) {
  if (row.finished) return null;
  if (row.overdue) return el('span.tag.late', null, fill('days_late', { n: -row.days_left }));
  if (row.due_soon) return el('span.tag.soon', null, fill('days_left', { n: row.days_left }));
  return null;
}

// ---- pickers: search by name, with or without diacritics --------------------------------

// A picker of people, units or items (a parent program). `kind` is 'people', 'units' or
// 'items'; `multi` keeps several.
var PICKER_HINT = { people: 'search_person', units: 'search_unit', items: 'search_item' };
function picker(kind, id, multi, initial) {
  var chosen = initial ? [initial] : [];
  var input = el('input', { type: 'text', id: id, autocomplete: 'off', placeholder: t(PICKER_HINT[kind]), 'aria-autocomplete': 'list' });
  var list = el('div.choices', { role: 'listbox' });
  var chips = el('div.chips');
  var box = el('div.picker', null, input, list, chips);
  var pending = 0;
  function label(choice) { return kind === 'people' ? choice.person.name : kind === 'items' ? choice.title : choice.name; }
  function code(choice) { return kind === 'people' ? choice.person.code : kind === 'items' ? choice.id : choice.path; }
  // What tells two choices of the same name apart: a person's units, a unit's path, an item's unit.
  function detail(choice) { return kind === 'people' ? choice.units.join(', ') : kind === 'items' ? choice.unit.name : choice.path; }
  function drawChips() {
    chips.textContent = '';
    chosen.forEach(function (choice, index) {
      chips.appendChild(el('span.chip', { 'data-code': code(choice) }, label(choice), ' ',
        el('span.muted.small', null, kind === 'items' ? detail(choice) : code(choice)),
        el('button', { type: 'button', 'aria-label': t('remove'), onclick: function () { chosen.splice(index, 1); drawChips(); } }, '×')));
    });
  }
  function choose(choice) {
    if (multi) { if (chosen.every(function (c) { return code(c) !== code(choice); })) chosen.push(choice); }
    else chosen = [choice];
    input.value = '';
    list.textContent = '';
    drawChips();
    input.focus();
  }
  input.addEventListener('input', function () {
    var query = input.value.trim();
    var mine = ++pending;
    if (!query) { list.textContent = ''; return; }
    api('/app/' + kind + '?q=' + encodeURIComponent(query)).then(function (found) {
      if (mine !== pending) return;
      var choices = kind === 'items' ? found.rows : found;
      list.textContent = '';
      choices.forEach(function (choice) {
        list.appendChild(el('button', { type: 'button', role: 'option', 'data-code': code(choice), onclick: function () { choose(choice); } },
          label(choice), ' ', el('span.muted.small', null, detail(choice))));
      });
      if (!choices.length) list.appendChild(el('div.muted.small', null, t('no_match')));
    }).catch(function () {});
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowDown' || (event.key === 'Enter' && list.firstChild)) {
      var first = list.querySelector('button');
      if (first) { event.preventDefault(); if (event.key === 'Enter') first.click(); else first.focus(); }
    }
  });
  list.addEventListener('keydown', function (event) {
    var target = event.target;
    if (event.key === 'ArrowDown' && target.nextSibling) { event.preventDefault(); target.nextSibling.focus(); }
    if (event.key === 'ArrowUp') { event.preventDefault(); (target.previousSibling || input).focus(); }
  });
  drawChips();
  return { node: box, values: function () { return chosen.map(code); } };
}

// ---- login ------------------------------------------------------------------------------

function loginPage() {
  drawHeader();
  document.getElementById('sync').hidden = true;
  var person = el('input', { type: 'text', id: 'login-person', autocomplete: 'username', required: true });
  var pass = el('input', { type: 'password', id: 'login-passphrase', autocomplete: 'current-password', required: true });
  var setup = el('input', { type: 'text', id: 'login-setup', autocomplete: 'off' });
  var message = el('div');
  var form = el('form.box.login', { id: 'login' },
    el('h1', null, t('login_title')),
    el('label', { for: 'login-person' }, t('login_person')), person,
    el('label', { for: 'login-passphrase' }, t('login_passphrase')), pass,
    el('details', null, el('summary', null, t('login_first_time')),
      el('label', { for: 'login-setup' }, t('login_setup_code')), setup,
      el('p.muted.small', null, t('login_setup_hint'))),
    message,
    el('p', null, el('button.primary', { type: 'submit', id: 'login-submit' }, t('login_button'))));
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    message.textContent = '';
    api('/app/login', { person: person.value, passphrase: pass.value, setup_code: setup.value || null, lang: lang })
      .then(function () { pass.value = ''; return start(); })
      .catch(function (error) { if (error.message) message.appendChild(errorBox(error)); });
  });
  show(form);
  person.focus();
}

// ---- header, sync, language -----------------------------------------------------------------

function drawHeader() {
  document.documentElement.lang = lang;
  document.getElementById('lang').textContent = lang === 'vi' ? 'English' : 'Tiếng Việt';
  var nav = document.getElementById('nav');
  nav.textContent = '';
  var who = document.getElementById('who');
  who.textContent = '';
  document.getElementById('where').textContent = me ? me.node_unit.name : '';
  if (!me) return;
  var here = location.hash.split('?')[0];
  [['#/work', 'nav_work'], ['#/items', 'nav_items'], ['#/new', 'nav_new'], ['#/import', 'nav_import'], ['#/indicators', 'nav_indicators'], ['#/reports', 'nav_reports']]
    .concat(me.hub ? [['#/hub', 'nav_hub']] : [])
    .forEach(function (entry) {
      nav.appendChild(el('a', { href: entry[0], class: here.indexOf(entry[0]) === 0 ? 'on' : null }, t(entry[1])));
    });
  who.appendChild(el('span', { title: me.person.code }, me.person.name));
  who.appendChild(document.createTextNode(' '));
  who.appendChild(el('button', { type: 'button', id: 'logout', onclick: function () {
    api('/app/logout', {}).then(function () { me = null; loginPage(); }).catch(function () {});
  } }, t('logout')));
}

function drawSync() {
  if (!me) return;
  api('/app/sync').then(function (sync) {
    var bar = document.getElementById('sync');
    bar.textContent = '';
    bar.hidden = !sync.parent;
    if (!sync.parent) return;
    bar.className = 'sync' + (sync.connected ? '' : ' offline');
    bar.appendChild(el('span', { class: 'dot ' + (sync.connected ? 'on' : 'off') }));
    bar.appendChild(el('strong', { id: 'sync-state' }, sync.connected ? t('sync_online') : t('offline_banner')));
    bar.appendChild(el('span', null, fill('sync_last', { when: when(sync.last_success_ms) })));
    bar.appendChild(el('span', { id: 'sync-pending' }, fill('sync_pending', { n: number(sync.pending_up) })));
    bar.appendChild(el('button', { type: 'button', id: 'sync-now', onclick: function () { api('/app/sync', {}).then(function () { setTimeout(drawSync, 1500); }).catch(function () {}); } }, t('sync_now')));
  }).catch(function () {});
}

document.getElementById('lang').addEventListener('click', function () {
  lang = lang === 'vi' ? 'en' : 'vi';
  document.cookie = 'nhip_lang=' + lang + '; Path=/; SameSite=Strict; Max-Age=31536000';
  loadWords().then(function () { if (me) route(); else loginPage(); drawSync(); });
});

// ---- my work ------------------------------------------------------------------------------

var WHY_ORDER = ['approve', 'conflict', 'overdue', 'due_soon', 'mine', 'my_unit'];

function itemTable(rows, columns) {
  var head = el('tr', null, columns.map(function (c) { return el('th', { class: c[2] || null }, t(c[0])); }));
  var body = rows.map(function (row) {
    return el('tr', { 'data-id': row.id }, columns.map(function (c) { return el('td', { class: c[2] || null }, c[1](row)); }));
  });
  return el('table', null, el('thead', null, head), el('tbody', null, body));
}

var COLUMNS = {
  title: ['col_work', function (row) { return [link(row.title, '#/item/' + row.id), el('div.muted.small', null, row.workflow_name)]; }],
  assignee: ['col_person', function (row) { return row.assignee ? el('span', { title: row.assignee.code }, row.assignee.name) : '—'; }],
  unit: ['col_unit', function (row) { return el('span', { title: row.unit.path }, row.unit.name); }],
  lead: ['col_lead', function (row) { return el('span', { title: row.lead_unit.path }, row.lead_unit.name); }],
  coordinating: ['col_coordinating', function (row) { return row.coordinating.map(function (u) { return u.name; }).join(', ') || '—'; }],
  deadline: ['col_deadline', function (row) { return [date(row.deadline), ' ', deadlineTag(row)]; }],
  state: ['col_state', function (row) { return [row.state_name, row.waiting ? [' ', el('span.tag.wait', null, t('waiting'))] : null, row.conflicts ? [' ', el('span.tag.conflict', null, t('conflict'))] : null]; }],
  percent: ['col_percent', function (row) { return number(row.percent) + ' %'; }, 'num']
};

function workPage() {
  api('/app/work').then(function (lines) {
    var page = el('div', null, el('h1', null, fill('work_title', { name: me.person.name })));
    if (!me.signed) page.appendChild(el('p.banner', null, t('unsigned_note')));
    if (!lines.length) page.appendChild(el('p.muted', { id: 'work-empty' }, t('work_empty')));
    WHY_ORDER.forEach(function (why) {
      var rows = lines.filter(function (line) { return line.why[0] === why; }).map(function (line) { return line.row; });
      if (!rows.length) return;
      page.appendChild(el('h2', { id: 'work-' + why }, t('why_' + why), ' ', el('span.tag', null, number(rows.length))));
      page.appendChild(itemTable(rows, [COLUMNS.title, COLUMNS.unit, COLUMNS.assignee, COLUMNS.deadline, COLUMNS.state]));
    });
    show(page, lines);
  }).catch(function (error) { if (error.message) show(errorBox(error)); });
}

// ---- the list ------------------------------------------------------------------------------

function params(hash) {
  var out = {};
  var query = hash.split('?')[1] || '';
  query.split('&').forEach(function (pair) {
    if (!pair) return;
    var kv = pair.split('=');
    out[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1] || '');
  });
  return out;
}

function queryOf(values) {
  return Object.keys(values).filter(function (k) { return values[k]; })
    .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(values[k]); }).join('&');
}

function listPage() {
  var wanted = params(location.hash);
  var q = el('input', { type: 'text', id: 'filter-q', value: wanted.q || '' });
  var showSel = el('select', { id: 'filter-show' }, ['', 'open', 'overdue', 'waiting', 'conflicts', 'finished'].map(function (v) {
    return el('option', { value: v, selected: (wanted.show || '') === v }, t('show_' + (v || 'all')));
  }));
  var sortSel = el('select', { id: 'filter-sort' }, ['deadline', 'title', 'unit', 'state'].map(function (v) {
    return el('option', { value: v, selected: (wanted.sort || 'deadline') === v }, t('sort_' + v));
  }));
  var unitPick = picker('units', 'filter-unit', false, null);
  var form = el('form.filters.no-print', null,
    el('div', null, el('label', { for: 'filter-q' }, t('filter_search')), q),
    el('div', null, el('label', { for: 'filter-show' }, t('filter_show')), showSel),
    el('div', null, el('label', { for: 'filter-sort' }, t('filter_sort')), sortSel),
    el('div', null, el('label', { for: 'filter-unit' }, t('filter_unit')), unitPick.node),
    el('div', null, el('button.primary', { type: 'submit' }, t('filter_apply'))));
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    location.hash = '#/items?' + queryOf({ q: q.value, show: showSel.value, sort: sortSel.value, unit: unitPick.values()[0] || wanted.unit || '' });
  });
  var result = el('div');
  // Drawn once the list is here, from it: a redraw for a change that leaves it the same is
  // skipped, and nothing blinks.
  api('/app/items?' + queryOf(wanted)).then(function (list) {
    var exportButton = el('button.no-print', { type: 'button', id: 'export-csv', onclick: function () { exportCsv(list.rows); } }, t('export_csv'));
    var workbook = el('a.no-print', { href: '/app/items.xlsx?' + queryOf(wanted) + '&lang=' + lang, id: 'export-xlsx', download: 'nhip-nhiem-vu.xlsx' }, t('export_xlsx'));
    result.appendChild(el('p.muted', { id: 'items-count' }, fill('items_count', { shown: number(list.rows.length), matched: number(list.matched) }), ' ', exportButton, ' ', workbook));
    result.appendChild(itemTable(list.rows, [COLUMNS.title, COLUMNS.assignee, COLUMNS.lead, COLUMNS.coordinating, COLUMNS.deadline, COLUMNS.state, COLUMNS.percent]));
    show(el('div', null, el('h1', null, t('items_title')), form, result), list);
  }).catch(function (error) {
    if (error.message) show(el('div', null, el('h1', null, t('items_title')), form, errorBox(error)));
  });
}

function exportCsv(rows) {
  var cells = [[t('col_work'), t('col_person'), t('col_lead'), t('col_coordinating'), t('col_deadline'), t('col_state'), t('col_percent')]];
  rows.forEach(function (row) {
    cells.push([row.title, row.assignee ? row.assignee.name : '', row.lead_unit.name,
      row.coordinating.map(function (u) { return u.name; }).join('; '), date(row.deadline), row.state_name, String(row.percent)]);
  });
  var text = '\ufeff' + cells.map(function (line) {
    return line.map(function (cell) {
      // A cell that a spreadsheet would read as a formula is written as text.
      var safe = /^[=+\-@]/.test(cell) ? "'" + cell : cell;
      return '"' + safe.replace(/"/g, '""') + '"';
    }).join(',');
  }).join('\r\n');
  var a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: 'nhip.csv' });
  document.body.appendChild(a); a.click(); a.remove();
}

// ---- a new item -----------------------------------------------------------------------------

function newPage() {
  Promise.all([api('/app/workflows'), api('/api/indicators')]).then(function (all) {
    var workflows = all[0], indicators = all[1];
    var workflow = el('select', { id: 'new-workflow' }, workflows.map(function (w) { return el('option', { value: w.id, selected: w.id === 'task' }, w.name); }));
    var title = el('input', { type: 'text', id: 'new-title', required: true });
    var description = el('textarea', { id: 'new-description' });
    var unit = picker('units', 'new-unit', false, me ? { path: me.node_unit.path, name: me.node_unit.name } : null);
    var lead = picker('units', 'new-lead', false, null);
    var coordinating = picker('units', 'new-coordinating', true, null);
    var assignee = picker('people', 'new-assignee', false, null);
    var deadline = el('input', { type: 'text', id: 'new-deadline', placeholder: 'dd/mm/yyyy', inputmode: 'numeric' });
    // The program it belongs to: given by the item page's "add a sub-task", or searched for.
    var parent = picker('items', 'new-parent', false, null);
    var given = params(location.hash).parent;
    if (given) api('/app/items/' + given).then(function (page) { parent = picker('items', 'new-parent', false, page.row); parentBox.replaceChild(parent.node, parentBox.lastChild); }).catch(function () {});
    var parentBox = el('div', null, el('label', { for: 'new-parent' }, t('item_parent')), parent.node);
    var indicator = el('select', { id: 'new-indicator' }, el('option', { value: '' }, '—'),
      indicators.map(function (i) { return el('option', { value: i.id }, i.name + ' (' + i.period + ')'); }));
    var message = el('div');
    var form = el('form.box', { id: 'new-form' },
      el('h1', null, t('new_title')),
      el('p.muted.small', null, t('new_hint')),
      el('label', { for: 'new-workflow' }, t('new_workflow')), workflow,
      el('label', { for: 'new-title' }, t('col_work')), title,
      el('label', { for: 'new-description' }, t('new_description')), description,
      el('div.row', null,
        el('div', null, el('label', { for: 'new-assignee' }, t('col_person')), assignee.node),
        el('div', null, el('label', { for: 'new-deadline' }, t('col_deadline')), deadline)),
      el('div.row', null,
        el('div', null, el('label', { for: 'new-unit' }, t('col_unit')), unit.node),
        el('div', null, el('label', { for: 'new-lead' }, t('col_lead')), lead.node)),
      el('label', { for: 'new-coordinating' }, t('col_coordinating')), coordinating.node,
      el('div.row', null, parentBox,
        el('div', null, el('label', { for: 'new-indicator' }, t('item_indicator')), indicator)),
      message,
      el('p', null, el('button.primary', { type: 'submit', id: 'new-submit' }, t('new_create'))));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      message.textContent = '';
      api('/app/items', {
        workflow: workflow.value, title: title.value, description: description.value,
        unit: unit.values()[0] || '', lead_unit: lead.values()[0] || null,
        coordinating: coordinating.values(), assignee: assignee.values()[0] || null,
        deadline: deadline.value || null, parent: parent.values()[0] || null,
        indicator: indicator.value || null
      }).then(function (made) { location.hash = '#/item/' + made.id; })
        .catch(function (error) { if (error.message) message.appendChild(errorBox(error)); });
    });
    show(form, all);
    workflow.focus();
  }).catch(function (error) { if (error.message) show(errorBox(error)); });
}

// ---- an item ---------------------------------------------------------------------------------

function itemPage(id) {
  api('/app/items/' + id).then(function (page) {
    var row = page.row;
    var message = el('div', { id: 'item-message' });
    function act(body) {
      message.textContent = '';
      return api('/app/items/' + id, body).then(function () { liveFrom = null; itemPage(id); })
        .catch(function (error) { if (error.message) message.appendChild(errorBox(error)); });
    }
    var facts = el('dl.facts', null,
      el('dt', null, t('new_workflow')), el('dd', null, row.workflow_name),
      el('dt', null, t('col_state')), el('dd', { id: 'item-state' }, row.state_name),
      el('dt', null, t('col_person')), el('dd', null, row.assignee ? [row.assignee.name, ' ', el('span.muted.small', null, row.assignee.code)] : '—'),
      el('dt', null, t('col_unit')), el('dd', null, row.unit.name),
      el('dt', null, t('col_lead')), el('dd', null, row.lead_unit.name),
      el('dt', null, t('col_coordinating')), el('dd', null, row.coordinating.map(function (u) { return u.name; }).join(', ') || '—'),
      el('dt', null, t('col_deadline')), el('dd', null, date(row.deadline), ' ', deadlineTag(row)),
      el('dt', null, t('col_percent')), el('dd', null, number(row.percent) + ' %'),
      el('dt', null, t('item_creator')), el('dd', null, page.creator.name),
      page.parent ? [el('dt', null, t('item_parent')), el('dd', null, link(page.parent[1], '#/item/' + page.parent[0]))] : null,
      page.indicator ? [el('dt', null, t('item_indicator')), el('dd', null, page.indicator[1])] : null);
    var note = el('textarea', { id: 'step-note', placeholder: t('step_note') });
    var steps = el('div.steps', { id: 'steps' }, page.steps.map(function (step) {
      if (!step.allowed) {
        return el('div.step', null, el('button', { type: 'button', disabled: true }, step.name),
          el('div.who-may', null, fill('who_may', { who: step.people.map(function (p) { return p.name; }).join(', ') || step.who })));
      }
      if (step.vote) {
        return el('div.step', null, el('strong', null, step.name), ' ',
          step.voted !== null ? el('span.tag', null, step.voted ? t('voted_yes') : t('voted_no')) : null, el('br'),
          el('button.yes', { type: 'button', 'data-step': step.transition + ':yes', onclick: function () { act({ action: 'vote', transition: step.transition, approve: true, note: note.value }); } }, t('vote_yes')), ' ',
          el('button.no', { type: 'button', 'data-step': step.transition + ':no', onclick: function () { act({ action: 'vote', transition: step.transition, approve: false, note: note.value }); } }, t('vote_no')));
      }
      return el('div.step', null, el('button.primary', { type: 'button', 'data-step': step.transition, onclick: function () { act({ action: 'fire', transition: step.transition, note: note.value }); } }, step.name));
    }));
    var actions = el('div.box.no-print', null, el('h2', null, t('item_actions')), message,
      page.steps.length ? [el('label', { for: 'step-note' }, t('step_note')), note, steps] : el('p.muted', null, t('item_no_steps')),
      el('p', null, el('a', { href: '#/new?parent=' + id, id: 'follow-up' }, t('follow_up'))));
    if (page.take_part) {
      var percent = el('input', { type: 'number', id: 'progress-percent', min: 0, max: 100, value: row.percent });
      var progressNote = el('input', { type: 'text', id: 'progress-note' });
      var progress = el('form', { id: 'progress-form' }, el('h2', null, t('progress_title')),
        el('div.row', null, el('div', null, el('label', { for: 'progress-percent' }, t('col_percent')), percent),
          el('div', null, el('label', { for: 'progress-note' }, t('progress_note')), progressNote),
          el('div', null, el('button', { type: 'submit' }, t('progress_button')))));
      progress.addEventListener('submit', function (event) { event.preventDefault(); act({ action: 'progress', percent: Number(percent.value), note: progressNote.value }); });
      var comment = el('input', { type: 'text', id: 'comment-text' });
      var commentForm = el('form', { id: 'comment-form' }, el('div.row', null,
        el('div', null, el('label', { for: 'comment-text' }, t('comment_title')), comment),
        el('div', null, el('button', { type: 'submit' }, t('comment_button')))));
      commentForm.addEventListener('submit', function (event) { event.preventDefault(); act({ action: 'comment', text: comment.value }); });
      actions.appendChild(progress);
      actions.appendChild(commentForm);
    }
    if (page.extend) {
      var newDeadline = el('input', { type: 'text', id: 'extend-deadline', placeholder: 'dd/mm/yyyy' });
      var reason = el('input', { type: 'text', id: 'extend-reason' });
      var extend = el('form', { id: 'extend-form' }, el('h2', null, t('extend_title')), el('div.row', null,
        el('div', null, el('label', { for: 'extend-deadline' }, t('col_deadline')), newDeadline),
        el('div', null, el('label', { for: 'extend-reason' }, t('extend_reason')), reason),
        el('div', null, el('button', { type: 'submit' }, t('extend_button')))));
      extend.addEventListener('submit', function (event) { event.preventDefault(); act({ action: 'extend', deadline: newDeadline.value, reason: reason.value }); });
      actions.appendChild(extend);
    }
    if (page.assign) {
      var who = picker('people', 'assign-person', false, null);
      var assign = el('form', { id: 'assign-form' }, el('h2', null, t('assign_title')), who.node, el('p', null, el('button', { type: 'submit' }, t('assign_button'))));
      assign.addEventListener('submit', function (event) { event.preventDefault(); act({ action: 'assign', assignee: who.values()[0] || '' }); });
      actions.appendChild(assign);
    }
    var conflicts = page.conflicts.filter(function (c) { return !c.resolved; }).map(function (conflict) {
      var decision = el('input', { type: 'text', 'data-conflict': conflict.event });
      var form = el('form.box', null, el('div.error', null, conflict.text),
        page.resolve ? el('div.row', null, el('div', null, el('label', null, t('resolve_note')), decision),
          el('div', null, el('button', { type: 'submit' }, t('resolve_button')))) : null);
      form.addEventListener('submit', function (event) { event.preventDefault(); act({ action: 'resolve', conflict: conflict.event, note: decision.value }); });
      return form;
    });
    var timeline = el('ol.timeline', { id: 'timeline' }, page.history.map(function (entry) {
      return el('li', { class: entry.outcome },
        el('div', null, el('strong', { title: entry.who.code }, entry.who.name), ' — ', entry.what,
          entry.outcome_text ? [' ', el('span.tag.conflict', null, entry.outcome_text)] : null),
        el('div.meta', null, fill('written_received', { written: when(entry.written_ms), received: when(entry.received_ms) }),
          ' · ', entry.signed || t('unsigned')));
    }));
    show(el('div', null,
      el('h1', { id: 'item-title' }, row.title),
      page.description ? el('p', null, page.description) : null,
      conflicts.length ? [el('h2', null, t('item_conflicts')), conflicts] : null,
      el('div.grid2', null, el('div.box', null, facts), actions),
      el('h2', null, t('item_history')), timeline), page);
  }).catch(function (error) { if (error.message) show(errorBox(error)); });
}

// ---- importing the appendix --------------------------------------------------------------------

function importPage() {
  var input = el('input', { type: 'file', id: 'import-file', accept: '.xlsx,.xls,.xlsm,.ods,.csv' });
  var result = el('div', { id: 'import-result' });
  var chosen = null;
  function send(commit) {
    result.textContent = '';
    if (!chosen) return;
    upload('/app/import?name=' + encodeURIComponent(chosen.name) + (commit ? '&commit=true' : ''), chosen).then(function (answer) {
      result.textContent = '';
      if (answer.imported !== null && answer.imported !== undefined) {
        result.appendChild(el('div.ok', { id: 'import-done' }, fill('import_done', { n: number(answer.imported) }), ' ', link(t('nav_items'), '#/items')));
        return;
      }
      result.appendChild(answer.errors
        ? el('div.error', { id: 'import-errors' }, fill('import_has_errors', { n: number(answer.errors) }))
        : el('div.ok', null, fill('import_ready', { n: number(answer.rows.length) })));
      result.appendChild(el('table', { id: 'import-rows' }, el('thead', null, el('tr', null, el('th.num', null, t('import_row')), el('th', null, t('col_work')), el('th', null, t('import_check')))),
        el('tbody', null, answer.rows.map(function (row) {
          return el('tr', { class: row.error ? 'bad-row' : null }, el('td.num', null, String(row.row)), el('td', null, row.title),
            el('td', null, row.error ? el('span.tag.late', null, row.error) : el('span.tag.done', null, t('import_ok'))));
        }))));
      if (!answer.errors && answer.rows.length) {
        result.appendChild(el('p', null, el('button.primary', { type: 'button', id: 'import-commit', onclick: function () { send(true); } }, fill('import_button', { n: number(answer.rows.length) }))));
      }
    }).catch(function (error) { result.appendChild(errorBox(error)); });
  }
  input.addEventListener('change', function () { chosen = input.files[0] || null; send(false); });
  show(el('div', null, el('h1', null, t('import_title')), el('div.box', null,
    el('p', null, t('import_hint')), el('label', { for: 'import-file' }, t('import_file')), input), result));
}

// ---- indicators -------------------------------------------------------------------------------

function indicatorsPage() {
  api('/api/indicators').then(function (indicators) {
    var rows = indicators.map(function (indicator) {
      var value = el('input', { type: 'text', inputmode: 'decimal', 'data-indicator': indicator.id, placeholder: t('indicator_value_hint') });
      var message = el('span');
      var form = el('form', { class: 'row' }, el('div', null, value), el('div', null, el('button', { type: 'submit' }, t('indicator_report'))), message);
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        api('/app/indicators/' + encodeURIComponent(indicator.id), { value: value.value, note: '' })
          .then(function () { indicatorsPage(); })
          .catch(function (error) { message.textContent = ''; message.appendChild(errorBox(error)); });
      });
      var attainment = indicator.attainment === null ? '—' : number(indicator.attainment * 100, 1) + ' %';
      return el('tr', null, el('td', null, indicator.name, el('div.muted.small', null, indicator.period)),
        el('td.num', null, number(indicator.target, 1), ' ', indicator.measure),
        el('td.num', null, indicator.value === null ? '—' : [number(indicator.value, 1), ' ', indicator.measure]),
        el('td.num', null, attainment), el('td.no-print', null, form));
    });
    show(el('div', null, el('h1', null, t('indicators_title')),
      rows.length ? el('table', { id: 'indicators' }, el('thead', null, el('tr', null, el('th', null, t('indicator_name')), el('th.num', null, t('indicator_target')),
        el('th.num', null, t('indicator_value')), el('th.num', null, t('indicator_attainment')), el('th.no-print', null, t('indicator_report')))), el('tbody', null, rows))
        : el('p.muted', null, t('none'))), indicators);
  }).catch(function (error) { if (error.message) show(errorBox(error)); });
}

// ---- the report upward --------------------------------------------------------------------------

// The period codes a clerk chooses from, for one year: quarters, 9 months, the year, months.
function periodChoices(year) {
  var choices = [1, 2, 3, 4].map(function (n) { return ['Q' + n + '-' + year, fill('report_quarter', { n: n })]; });
  choices.push(['9T-' + year, t('report_nine_months')], [String(year), t('report_year')]);
  for (var m = 1; m <= 12; m++) choices.push([year + '-' + pad(m), fill('report_month', { n: m })]);
  return choices;
}

function reportsPage() {
  var now = new Date();
  var wanted = params(location.hash);
  var period = wanted.period || ('Q' + (Math.floor(now.getMonth() / 3) + 1) + '-' + now.getFullYear());
  var year = el('input', { type: 'number', id: 'report-year', min: 2000, max: 2100, value: (period.match(/(\d{4})/) || [])[1] || now.getFullYear() });
  var which = el('select', { id: 'report-period' });
  function drawChoices() {
    var current = which.value || period.replace(/\d{4}/, '{y}');
    which.textContent = '';
    periodChoices(year.value).forEach(function (choice) {
      which.appendChild(el('option', { value: choice[0], selected: choice[0].replace(/\d{4}/, '{y}') === current }, choice[1]));
    });
  }
  drawChoices();
  year.addEventListener('change', drawChoices);
  var asOf = el('input', { type: 'text', id: 'report-as-of', placeholder: 'dd/mm/yyyy', inputmode: 'numeric', value: wanted.as_of || '' });
  var layout = el('select', { id: 'report-layout' },
    el('option', { value: 'state', selected: wanted.layout !== 'party' }, t('report_layout_state')),
    el('option', { value: 'party', selected: wanted.layout === 'party' }, t('report_layout_party')));
  var unit = picker('units', 'report-unit', false, wanted.unit ? { path: wanted.unit, name: wanted.unit_name || wanted.unit } : (me ? { path: me.node_unit.path, name: me.node_unit.name } : null));
  var asked = { period: period, unit: wanted.unit || '', as_of: wanted.as_of || '', layout: wanted.layout || 'state' };
  var form = el('form.box.no-print', { id: 'report-form' },
    el('p.muted.small', null, t('report_hint')),
    el('div.row', null,
      el('div', null, el('label', { for: 'report-period' }, t('report_period')), which),
      el('div', null, el('label', { for: 'report-year' }, t('report_year_of')), year),
      el('div', null, el('label', { for: 'report-as-of' }, t('report_as_of')), asOf)),
    el('div.row', null,
      el('div', null, el('label', { for: 'report-unit' }, t('col_unit')), unit.node),
      el('div', null, el('label', { for: 'report-layout' }, t('report_layout')), layout)),
    el('p', null, el('button.primary', { type: 'submit', id: 'report-show' }, t('report_show'))));
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var chosen = unit.values()[0] || '';
    location.hash = '#/reports?' + queryOf({ period: which.value, unit: chosen, as_of: asOf.value, layout: layout.value });
  });
  var figures = el('div', { id: 'report-figures' });
  var page = el('div', null, el('h1', null, t('reports_title')), form, figures);
  api('/app/reports?' + queryOf(asked)).then(function (report) {
    var query = queryOf({ period: report.period, unit: report.unit.path, as_of: report.as_of, layout: asked.layout });
    var message = el('div', { id: 'report-message' });
    var submit = el('button.primary', { type: 'button', id: 'report-submit', onclick: function () {
      message.textContent = '';
      submit.disabled = true;
      api('/app/reports/submit', { period: report.period, unit: report.unit.path, as_of: report.as_of, layout: asked.layout })
        .then(function (done) {
          message.appendChild(el('div.ok', null, fill('report_submitted', { xlsx: done.xlsx_blake3.slice(0, 12), docx: done.docx_blake3.slice(0, 12) }), ' ', link(t('report_open_item'), '#/item/' + done.item)));
        })
        .catch(function (error) { submit.disabled = false; if (error.message) message.appendChild(errorBox(error)); });
    } }, t('report_submit'));
    var counts = report.counts;
    figures.appendChild(el('h2', null, fill('report_of', { period: report.period_name, unit: report.unit.name })));
    figures.appendChild(el('p.muted', null, t('report_as_of'), ' ', date(report.as_of), ' · ', fill('report_due', { date: date(report.due) })));
    figures.appendChild(el('p.no-print', null,
      el('a.button', { href: '/app/reports/file?' + query + '&format=xlsx', id: 'report-xlsx', download: '' }, t('report_xlsx')), ' ',
      el('a.button', { href: '/app/reports/file?' + query + '&format=docx', id: 'report-docx', download: '' }, t('report_docx')), ' ',
      submit));
    figures.appendChild(message);
    figures.appendChild(el('div.card-row', { id: 'report-counts' },
      card(counts.tasks, 'report_tasks', '#/items'),
      card(counts.done, 'report_done', '#/items?show=finished'),
      card(counts.overdue, 'report_overdue', '#/items?show=overdue', true),
      card(counts.extended, 'report_extended', '#/items'),
      card(counts.waiting, 'report_waiting', '#/items?show=waiting'),
      card(counts.adopted, 'report_adopted', '#/items?show=finished'),
      card(counts.petitions_received, 'report_petitions', '#/items'),
      card(counts.petitions_late + counts.petitions_open_late, 'report_petitions_late', '#/items', true)));
    if (report.weeks.length) {
      figures.appendChild(el('h2', null, t('chart_title')));
      figures.appendChild(progressChart(report.weeks));
    }
    if (report.rollup.length > 1) {
      figures.appendChild(el('h2', null, t('report_rollup')));
      figures.appendChild(el('table', { id: 'report-rollup' },
        el('thead', null, el('tr', null, el('th', null, t('col_unit')), el('th.num', null, t('report_tasks')), el('th.num', null, t('report_done')),
          el('th.num', null, t('report_overdue')), el('th.num', null, t('report_waiting')), el('th.num', null, t('report_petitions')))),
        el('tbody', null, report.rollup.map(function (row) {
          return el('tr', null, el('td', null, row.name), el('td.num', null, number(row.tasks)), el('td.num', null, number(row.done)),
            el('td.num', { class: row.overdue ? 'num late' : 'num' }, number(row.overdue)), el('td.num', null, number(row.waiting)), el('td.num', null, number(row.petitions)));
        }))));
    }
    if (report.submissions.length) {
      figures.appendChild(el('h2', null, t('report_submissions')));
      figures.appendChild(el('table', { id: 'report-submissions' },
        el('thead', null, el('tr', null, el('th', null, t('col_unit')), el('th', null, t('col_state')), el('th', null, t('report_submitted_on')), el('th', null, t('report_lag')))),
        el('tbody', null, report.submissions.map(function (row) {
          var status = el('span.tag', { class: 'tag ' + (row.status === 'submitted' ? 'done' : row.status === 'not_yet_due' ? '' : 'late') }, row.status_name);
          return el('tr', { 'data-unit': row.unit.path }, el('td', null, row.item ? link(row.unit.name, '#/item/' + row.item) : row.unit.name),
            el('td', null, status, row.state_name && row.state_name !== row.status_name ? [' ', el('span.muted.small', null, row.state_name)] : null),
            el('td', null, date(row.submitted_on)), el('td', null, row.lag || ''));
        }))));
    }
    show(page, report);
  }).catch(function (error) {
    if (!error.message) return;
    figures.appendChild(errorBox(error));
    show(page);
  });
}

// ---- the hub's view --------------------------------------------------------------------------

function card(n, label, hash, bad) {
  return el('a.card', { href: hash, class: 'card' + (bad && n > 0 ? ' bad' : '') }, el('div.n', null, number(n)), el('div.l', null, t(label)));
}

// An SVG element (the chart is drawn by the page: no library, no picture from elsewhere).
function svg(tag, attrs, children) {
  var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
  (children || []).forEach(function (child) {
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  });
  return node;
}

// Done per week (bars) and overdue at each week's end (a line).
function progressChart(weeks) {
  var width = 720, height = 220, left = 36, bottom = 34, top = 16;
  var most = Math.max(1, Math.max.apply(null, weeks.map(function (w) { return Math.max(w.done, w.overdue); })));
  var step = (width - left - 10) / Math.max(1, weeks.length);
  var y = function (n) { return top + (height - top - bottom) * (1 - n / most); };
  var parts = [svg('line', { x1: left, y1: y(0), x2: width - 6, y2: y(0), stroke: '#9aa5b4' }),
    svg('text', { x: 4, y: y(most) + 4, 'font-size': 11, fill: '#5f6b7a' }, [number(most)]),
    svg('text', { x: 4, y: y(0) + 4, 'font-size': 11, fill: '#5f6b7a' }, ['0'])];
  var line = [];
  weeks.forEach(function (week, i) {
    var x = left + i * step;
    var barHeight = y(0) - y(week.done);
    parts.push(svg('rect', { x: x + step * 0.2, y: y(week.done), width: step * 0.6, height: Math.max(0, barHeight), fill: '#2e7d32' },
      [svg('title', {}, [fill('chart_week', { start: date(week.start), end: date(week.end), done: week.done, overdue: week.overdue })])]));
    line.push((x + step / 2) + ',' + y(week.overdue));
    if (i % 2 === weeks.length % 2 || weeks.length < 8) {
      parts.push(svg('text', { x: x + step / 2, y: height - bottom + 16, 'font-size': 11, 'text-anchor': 'middle', fill: '#5f6b7a' }, [date(week.end).slice(0, 5)]));
    }
  });
  parts.push(svg('polyline', { points: line.join(' '), fill: 'none', stroke: '#c62828', 'stroke-width': 2 }));
  weeks.forEach(function (week, i) {
    parts.push(svg('circle', { cx: left + i * step + step / 2, cy: y(week.overdue), r: 3, fill: '#c62828' }));
  });
  return el('figure', { id: 'progress-chart' },
    svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, role: 'img', 'aria-label': t('chart_title') }, parts),
    el('figcaption.small.muted', null, el('span.legend.done', null, '■ ', t('chart_done')), '  ', el('span.legend.late', null, '● ', t('chart_overdue'))));
}

function hubPage() {
  Promise.all([api('/api/overview'), api('/app/items?show=overdue'), api('/app/items?show=waiting'),
    api('/app/items?show=conflicts'), api('/app/progress?weeks=12'), api('/api/indicators')]).then(function (all) {
    var overview = all[0], overdue = all[1], waiting = all[2], conflicts = all[3], weeks = all[4], indicators = all[5];
    var totals = overview.totals;
    var cards = el('div.card-row', null,
      card(totals.items, 'hub_items', '#/items'),
      card(totals.overdue, 'hub_overdue', '#/items?show=overdue', true),
      card(totals.due_soon, 'hub_due_soon', '#/items?show=open'),
      card(totals.waiting_approval, 'hub_waiting', '#/items?show=waiting'),
      card(totals.open_conflicts, 'hub_conflicts', '#/items?show=conflicts', true),
      card(overview.units.filter(function (u) { return u.stale; }).length, 'hub_stale', '#/hub', true));
    var units = el('table', { id: 'units' }, el('thead', null, el('tr', null,
      el('th', null, t('col_unit')), el('th.num', null, t('hub_items')), el('th.num', null, t('hub_overdue')),
      el('th.num', null, t('hub_waiting')), el('th', null, t('hub_done')), el('th', null, t('hub_last_seen')))),
      el('tbody', null, overview.units.map(function (u) {
        var unknown = u.stale;
        var done = u.summary.items ? Math.round(100 * u.done / u.summary.items) : 0;
        return el('tr', null,
          el('td', { class: 'indent' + Math.min(3, Math.max(0, u.depth - 1)) }, el('span.light', { class: 'light ' + u.light }), link(u.name, '#/items?unit=' + encodeURIComponent(u.unit))),
          el('td.num', null, number(u.summary.items)),
          el('td.num', null, unknown ? el('span.tag.stale', null, t('unknown')) : number(u.summary.overdue)),
          el('td.num', null, number(u.summary.waiting_approval)),
          el('td', null, el('span.bar', null, el('span', { style: null, 'data-width': done })), ' ', number(done) + ' %'),
          el('td', null, unknown ? el('span.tag.stale', null, fill('silent_since', { when: when(u.last_seen_ms) })) : when(u.last_seen_ms)));
      })));
    // Bars are sized here, not by an inline style attribute (the CSP allows none).
    Array.prototype.forEach.call(units.querySelectorAll('[data-width]'), function (bar) { bar.style.width = bar.getAttribute('data-width') + '%'; });
    var stale = overview.units.filter(function (u) { return u.stale; });
    show(el('div', null, el('h1', null, fill('hub_title', { name: me.node_unit.name })), cards,
      el('h2', null, t('chart_title')), progressChart(weeks),
      stale.length ? [el('h2', { id: 'hub-stale' }, t('hub_stale'), ' ', el('span.tag', null, number(stale.length))),
        el('ul', null, stale.map(function (u) {
          return el('li', null, link(u.name, '#/items?unit=' + encodeURIComponent(u.unit)), ' — ', fill('silent_since', { when: when(u.last_seen_ms) }));
        }))] : null,
      el('h2', { id: 'hub-overdue' }, t('hub_overdue_list'), ' ', el('span.tag', null, number(overdue.matched))),
      overdue.rows.length ? itemTable(overdue.rows, [COLUMNS.title, COLUMNS.assignee, COLUMNS.unit, COLUMNS.lead, COLUMNS.deadline]) : el('p.muted', null, t('none')),
      el('h2', null, t('hub_waiting_list'), ' ', el('span.tag', null, number(waiting.matched))),
      waiting.rows.length ? itemTable(waiting.rows, [COLUMNS.title, COLUMNS.unit, COLUMNS.assignee, COLUMNS.state]) : el('p.muted', null, t('none')),
      el('h2', { id: 'hub-conflicts' }, t('hub_conflicts'), ' ', el('span.tag', null, number(conflicts.matched))),
      conflicts.rows.length ? itemTable(conflicts.rows, [COLUMNS.title, COLUMNS.unit, COLUMNS.assignee, COLUMNS.state]) : el('p.muted', null, t('none')),
      el('h2', null, t('indicators_title')),
      indicators.length ? el('table', { id: 'hub-indicators' }, el('thead', null, el('tr', null, el('th', null, t('indicator_name')),
        el('th.num', null, t('indicator_target')), el('th.num', null, t('indicator_value')), el('th.num', null, t('indicator_attainment')))),
        el('tbody', null, indicators.map(function (i) {
          return el('tr', null, el('td', null, i.name), el('td.num', null, number(i.target, 1), ' ', i.measure),
            el('td.num', null, i.value === null ? '—' : [number(i.value, 1), ' ', i.measure]),
            el('td.num', null, i.attainment === null ? '—' : number(i.attainment * 100, 1) + ' %'));
        }))) : el('p.muted', null, t('none')),
      el('h2', null, t('hub_units')), units,
      el('p.no-print', null, el('a', { href: '/hub' }, t('hub_more')))), all);
  }).catch(function (error) { if (error.message) show(errorBox(error)); });
}

// ---- routing, live updates ---------------------------------------------------------------------

function route() {
  drawHeader();
  var hash = location.hash || '#/work';
  var path = hash.split('?')[0];
  if (path.indexOf('#/item/') === 0) return itemPage(path.slice(7));
  if (path === '#/items') return listPage();
  if (path === '#/new') return newPage();
  if (path === '#/hub') return hubPage();
  if (path === '#/import') return importPage();
  if (path === '#/indicators') return indicatorsPage();
  if (path === '#/reports') return reportsPage();
  return workPage();
}

window.addEventListener('hashchange', function () { if (me) route(); });

function loadWords() {
  return fetch('/app/words?lang=' + lang, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (words) { W = words; });
}

// Changes at this node redraw the page, unless the person has typed into it.
function listen() {
  if (!window.EventSource) return;
  var source = new EventSource('/api/changes');
  source.addEventListener('changed', function () {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      drawSync();
      if (me && !edited) { liveFrom = edits; route(); }
    }, 300);
  });
}

var listening = false;

function start() {
  return api('/app/me').then(function (who) {
    me = who;
    route();
    drawSync();
    if (!listening) { listening = true; listen(); }
  }).catch(function () {});
}

loadWords().then(function () {
  drawHeader();
  start();
  setInterval(drawSync, 30000);
});
