// Ledgerly dashboard: loads the account list and the selected account's card transactions.
import "./vendor/jquery-3.7.1.min.js";

const accountId = document.body.dataset.accountId;

async function loadAccounts() {
  const res = await fetch('/api/accounts/summary', { credentials: 'same-origin' });
  const { accounts } = await res.json();
  document.getElementById('accounts').innerHTML = accounts.map((a) => `<li>${a.name}</li>`).join('');
}

async function loadTransactions(limit = 20) {
  const res = await fetch(`/api/accounts/${accountId}/transactions?limit=${limit}`);
  const body = await res.json();
  renderTable(body.transactions);
}

function showPayee(id) {
  return axios.get(`/api/payees/${id}`).then((r) => r.data);
}

function sendTransfer(to, amount) {
  return fetch('/api/transfers', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ to, amount }),
  });
}

function signOut() {
  return fetch('/api/session/logout').then(() => { window.location = '/'; });
}

function renderTable(rows) {
  const table = document.getElementById('transactions');
  table.innerHTML = rows.map((t) => `<tr><td>${t.merchant}</td><td>${t.amount}</td></tr>`).join('');
}

loadAccounts().then(() => loadTransactions());
