// Admin: the employee accounts. Add, change tier and roles, disable (which closes the
// user's sockets and voids their tokens server-side), revoke tokens.

import { useEffect, useState } from "preact/hooks";
import type { AccountsResponse, IdentityPatch, IdentityResponse, IdentityView, Role, Tier } from "../client/wire";
import type { ChatStore } from "../state/chat";

const TIERS: Tier[] = ["T1", "T2", "T3"];
const ROLES: Role[] = ["supervisor", "admin"];

export function AdminUsers({ store }: { store: ChatStore }) {
  const [users, setUsers] = useState<IdentityView[]>([]);
  const [error, setError] = useState<string>();

  async function reload() {
    try {
      setUsers((await store.http.json<AccountsResponse>("GET", "/admin/users")).users);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => void reload(), [store]);

  async function patch(u: IdentityView, body: IdentityPatch) {
    setError(undefined);
    try {
      const { identity } = await store.http.json<IdentityResponse>(
        "PATCH",
        `/admin/users/${encodeURIComponent(u.userId)}`,
        body,
      );
      setUsers((list) => list.map((x) => (x.userId === identity.userId ? identity : x)));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section class="admin" aria-label="Users">
      <h2>Users</h2>
      {error && <p role="alert" class="error">{error}</p>}
      <AddUser store={store} onAdded={reload} />
      <table aria-label="Users">
        <thead>
          <tr><th>Username</th><th>Name</th><th>Tier</th><th>Roles</th><th>Enabled</th><th>Actions</th></tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.userId}>
              <td>{u.username}</td>
              <td>{u.displayName}</td>
              <td>
                <select aria-label={`Tier of ${u.username}`} value={u.tier}
                  onChange={(e) => void patch(u, { tier: e.currentTarget.value as Tier })}>
                  {TIERS.map((t) => <option key={t} value={t}>{t}</option>)}
                </select>
              </td>
              <td>
                {ROLES.map((r) => (
                  <label key={r} class="inline">
                    <input type="checkbox" checked={u.roles.includes(r)}
                      onChange={(e) => void patch(u, {
                        roles: e.currentTarget.checked ? [...u.roles, r] : u.roles.filter((x) => x !== r),
                      })} />
                    {r}
                  </label>
                ))}
              </td>
              <td>{u.enabled ? "yes" : "no"}</td>
              <td class="row">
                <button type="button" onClick={() => void patch(u, { enabled: !u.enabled })}>
                  {u.enabled ? "Disable" : "Enable"}
                </button>
                <button type="button" onClick={() => void patch(u, { revokeTokens: true })}>Revoke</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AddUser({ store, onAdded }: { store: ChatStore; onAdded: () => void }) {
  const [f, setF] = useState({ username: "", password: "", displayName: "", tier: "T1" as Tier });
  const [error, setError] = useState<string>();
  async function add(e: Event) {
    e.preventDefault();
    setError(undefined);
    try {
      await store.http.json("POST", "/admin/users", { ...f, kind: "employee", roles: [] });
      setF({ username: "", password: "", displayName: "", tier: "T1" });
      onAdded();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  const field = (k: "username" | "password" | "displayName", label: string, type = "text") => (
    <span class="arg">
      <label for={`add-${k}`}>{label}</label>
      <input id={`add-${k}`} type={type} required value={f[k]} onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} />
    </span>
  );
  return (
    <form class="card robots" onSubmit={add} aria-label="Add user">
      {field("username", "New username")}
      {field("displayName", "Display name")}
      {field("password", "Initial password", "password")}
      <span class="arg">
        <label for="add-tier">Tier</label>
        <select id="add-tier" value={f.tier} onChange={(e) => setF({ ...f, tier: e.currentTarget.value as Tier })}>
          {TIERS.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </span>
      <button type="submit">Add user</button>
      {error && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
