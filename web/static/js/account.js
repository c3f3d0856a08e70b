// The Account view: logging in, registering (with a confirmation mail),
// password reminders, and for a logged-in user changing the password and
// the email address.

import { currentSession, has, loggedIn, post, useSession } from "./api.js";
import { $, act, clearError } from "./dom.js";

let ctx;
let reminderOpen = false;

export function init(context) {
  ctx = context;
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    login(e.submitter);
  });
  $("register-form").addEventListener("submit", (e) => {
    e.preventDefault();
    register(e.submitter);
  });
  $("reminder-form").addEventListener("submit", (e) => {
    e.preventDefault();
    reminder(e.submitter);
  });
  $("password-form").addEventListener("submit", (e) => {
    e.preventDefault();
    changePassword(e.submitter);
  });
  $("email-form").addEventListener("submit", (e) => {
    e.preventDefault();
    changeEmail(e.submitter);
  });
  $("forgot-open").addEventListener("click", () => {
    reminderOpen = true;
    $("reminder-user").value = $("login-user").value;
    render();
    $("reminder-user").focus();
  });
  $("forgot-close").addEventListener("click", () => {
    reminderOpen = false;
    render();
    $("login-user").focus();
  });
  return { load, session: onSession, message };
}

function submitButton(form, submitter) {
  return submitter || form.querySelector("button[type=submit]");
}

// A note at the top of the view (registration sent, confirmed...).
function message(text) {
  const el = $("account-message");
  el.textContent = text;
  el.hidden = !text;
}

function onSession(s, old) {
  if (old && old.user !== s.user) {
    clearError($("account-error"));
    if (!s.user || s.guest) message("");
  }
  render();
}

// The email field is not filled in from userinfo: a user without an email
// address gets 555 for it, a failed request the browser reports as an error.
async function load() {
  render();
}

function render() {
  const s = currentSession();
  $("password-username").value = s.user ?? "";
  const inside = loggedIn();
  $("login-form").hidden = inside || reminderOpen;
  $("reminder-form").hidden = inside || !reminderOpen;
  $("register-form").hidden = inside || !s.register;
  $("password-form").hidden = !inside || !has("userinfo");
  $("email-form").hidden = !inside || !has("userinfo");
}

async function login(submitter) {
  const form = $("login-form");
  await act(submitButton(form, submitter), $("login-error"), async () => {
    const s = await post("api/login", {
      username: $("login-user").value,
      password: $("login-password").value,
    });
    $("login-password").value = "";
    message("");
    await useSession(s);
    ctx.show("playing");
  });
}

async function register(submitter) {
  const form = $("register-form");
  await act(submitButton(form, submitter), $("register-error"), async () => {
    const email = $("register-email").value.trim();
    await post("api/register", {
      username: $("register-user").value.trim(),
      password: $("register-password").value,
      email,
    });
    $("register-password").value = "";
    message(
      `Thank you. Check your mail: we sent a confirmation link to ${email}. Follow it to finish registering.`,
    );
    $("account-message").focus?.();
  });
}

async function reminder(submitter) {
  const form = $("reminder-form");
  await act(submitButton(form, submitter), $("reminder-error"), async () => {
    await post("api/reminder", { username: $("reminder-user").value.trim() });
    message("If that user has an email address, a password reminder is on its way. Check your mail.");
    reminderOpen = false;
    render();
  });
}

async function changePassword(submitter) {
  const form = $("password-form");
  await act(submitButton(form, submitter), $("password-error"), async () => {
    const reply = await post("api/password", { password: $("new-password").value });
    $("new-password").value = "";
    await useSession(reply);
    message("Your password has been changed.");
  });
}

async function changeEmail(submitter) {
  const form = $("email-form");
  await act(submitButton(form, submitter), $("email-error"), async () => {
    await post("api/email", { email: $("account-email").value.trim() });
    message("Your email address has been changed.");
  });
}
