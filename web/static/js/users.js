// The Users view, for administrators: every user, with their email and
// rights on demand; creating, editing and deleting users.

import { command, get } from "./api.js";
import { $, act, button, clearError, h, replaceRows, showError, throttle } from "./dom.js";

let ctx;
let names = [];
let editing = null; // {name, email, rights} of the user being edited

export function init(context) {
  ctx = context;
  $("user-new-form").addEventListener("submit", (e) => {
    e.preventDefault();
    create(e.submitter || $("user-new-form").querySelector("button"));
  });
  return { load, log };
}

const refresh = throttle(async () => {
  if (!ctx.isVisible("users")) return ctx.refresh("users");
  await load();
}, 100);

function log(type, fields) {
  if (type === "user_add" || type === "user_delete" || type === "user_edit") {
    if (type === "user_delete" && editing && editing.name === fields[0]) editing = null;
    refresh();
  }
}

async function load() {
  clearError($("users-error"));
  try {
    const reply = await get("users");
    names = (reply.lines ?? []).slice().sort();
  } catch (err) {
    names = [];
    showError($("users-error"), err);
  }
  render();
}

function render() {
  const list = $("users");
  const focusedEdit = editing && list.contains(document.activeElement) ? document.activeElement.id : null;
  replaceRows(list, names.map(userRow));
  if (focusedEdit && $(focusedEdit)) $(focusedEdit).focus();
}

function userRow(name) {
  const alert = h("p", { class: "alert", role: "alert", hidden: true });
  const isEditing = editing && editing.name === name;
  const row = h(
    "li",
    { class: "user", dataset: { key: name } },
    h(
      "div",
      { class: "entry-main" },
      h("span", { class: "title" }, name),
      isEditing && editing.rights ? h("span", { class: "sub" }, editing.rights) : null,
    ),
    h(
      "div",
      { class: "entry-actions" },
      isEditing
        ? null
        : button("Edit", (e) => act(e.currentTarget, alert, () => startEdit(name)), { class: "small" }),
      button(
        "Delete",
        (e) =>
          act(e.currentTarget, alert, async () => {
            await command("deluser", [name]);
            names = names.filter((n) => n !== name);
            if (editing && editing.name === name) editing = null;
            render();
            $("user-new-name").focus();
          }),
        { class: "small danger" },
      ),
    ),
    alert,
  );
  if (isEditing) row.append(editForm(name));
  return row;
}

async function startEdit(name) {
  const [email, rights] = await Promise.allSettled([
    get("userinfo", name, "email"),
    get("userinfo", name, "rights"),
  ]);
  if (rights.status === "rejected") throw rights.reason;
  editing = {
    name,
    email: email.status === "fulfilled" ? (email.value.value ?? "") : "",
    rights: rights.value.value ?? "",
  };
  render();
  const field = $("user-edit-email");
  if (field) field.focus();
}

function editForm(name) {
  const alert = h("p", { class: "alert", role: "alert", hidden: true });
  const email = h("input", { type: "email", id: "user-edit-email", value: editing.email, autocomplete: "off" });
  const rights = h("input", {
    type: "text",
    id: "user-edit-rights",
    value: editing.rights,
    autocomplete: "off",
    spellcheck: "false",
  });
  const save = h("button", { type: "submit" }, "Save user");
  const form = h(
    "form",
    { class: "stacked edit-user", "aria-label": `Edit ${name}` },
    h("label", { for: "user-edit-email" }, "Email"),
    email,
    h("label", { for: "user-edit-rights" }, "Rights"),
    rights,
    h(
      "div",
      { class: "actions" },
      save,
      button(
        "Cancel",
        () => {
          editing = null;
          render();
        },
        { class: "quiet" },
      ),
    ),
    alert,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await act(save, alert, async () => {
      const newEmail = email.value.trim();
      const newRights = rights.value.trim();
      if (newEmail !== editing.email) {
        await command("edituser", [name, "email", newEmail]);
        editing.email = newEmail;
      }
      if (newRights !== editing.rights) {
        await command("edituser", [name, "rights", newRights]);
        editing.rights = newRights;
      }
      editing = null;
      render();
    });
  });
  return form;
}

async function create(btn) {
  const name = $("user-new-name").value.trim();
  const password = $("user-new-password").value;
  const rights = $("user-new-rights").value.trim();
  const ok = await act(btn, $("user-new-error"), async () => {
    await command("adduser", rights ? [name, password, rights] : [name, password]);
    if (!names.includes(name)) names = [...names, name].sort();
    render();
  });
  if (ok) {
    $("user-new-name").value = "";
    $("user-new-password").value = "";
    $("user-new-rights").value = "";
  }
}
