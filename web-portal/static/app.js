// The portal's page: everything it shows comes from the portal's own /api, which
// holds the tokens. The page never sees one; it only has an HttpOnly session cookie.
'use strict';

// Sent with every state-changing call: the portal refuses those without it.
const CSRF_HEADER = { 'X-Requested-With': 'fetch' };

const $ = (id) => document.getElementById(id);

function show(view) {
  $('loading').hidden = true;
  $('signed-out').hidden = view !== 'signed-out';
  $('signed-in').hidden = view !== 'signed-in';
  $('who').hidden = view !== 'signed-in';
}

function say(text) {
  $('status').textContent = text;
}

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: 'same-origin' }));
  if (response.status === 401) {
    show('signed-out');
    throw new Error('signed out');
  }
  return response;
}

async function loadDocuments() {
  const response = await api('/api/documents');
  if (!response.ok) {
    say('Cannot load the documents (' + response.status + ').');
    return;
  }
  const { documents } = await response.json();
  const list = $('documents');
  list.replaceChildren();
  for (const doc of documents) {
    const item = document.createElement('li');
    const title = document.createElement('strong');
    title.textContent = doc.title;
    const content = document.createElement('p');
    content.textContent = doc.content;
    item.append(title, content);
    list.append(item);
  }
  $('no-documents').hidden = documents.length > 0;
  list.dataset.count = String(documents.length);
}

async function createDocument(event) {
  event.preventDefault();
  const form = event.target;
  const body = JSON.stringify({ title: form.title.value, content: form.content.value });
  const response = await api('/api/documents', {
    method: 'POST',
    headers: Object.assign({ 'Content-Type': 'application/json' }, CSRF_HEADER),
    body,
  });
  if (response.status !== 201) {
    say('Cannot create the document (' + response.status + ').');
    return;
  }
  form.reset();
  say('Document created.');
  await loadDocuments();
}

async function signOut() {
  const response = await fetch('/logout', { method: 'POST', headers: CSRF_HEADER, credentials: 'same-origin' });
  const { redirect } = response.ok ? await response.json() : { redirect: '/' };
  window.location.assign(redirect);
}

async function start() {
  $('new-document').addEventListener('submit', (event) => createDocument(event).catch(() => {}));
  $('sign-out').addEventListener('click', () => signOut().catch(() => window.location.assign('/')));
  try {
    const response = await api('/api/me');
    if (!response.ok) {
      show('signed-out');
      say('The portal cannot reach the documents service (' + response.status + ').');
      return;
    }
    const me = await response.json();
    $('user').textContent = me.sub;
    show('signed-in');
    await loadDocuments();
    document.body.dataset.ready = 'true';
  } catch (error) {
    document.body.dataset.ready = 'true';
  }
}

start();
