import type { PublicUser, Role } from "../lib/auth/model.ts";
import { createUser, listUsers, removeUser, setDisabled } from "../lib/auth/users.ts";
import { readForm } from "../lib/web/body.ts";
import { errorAnswer } from "../lib/web/http_error.ts";
import { define, type RouteContext } from "../lib/app_state.ts";

/** What the Team page shows. */
interface TeamData {
  users: PublicUser[];
  /** The admin looking at the page; they cannot disable or remove themselves here. */
  selfId: string;
  notice?: string;
  error?: string;
  /** Values to put back into the add form after an error (never the password). */
  draft?: { email: string; name: string; role: Role };
}

// Fixed messages chosen by code, so the query string cannot put words on the page.
const NOTICES: Record<string, string> = {
  added: "Team member added.",
  disabled: "Account disabled; its sessions have ended.",
  enabled: "Account enabled.",
  removed: "Account removed.",
};

export const title = "Team";

/** Only admins manage the team. */
export const access = "admin";

export const handler = define.handlers<TeamData>({
  async GET(ctx) {
    const notice = NOTICES[ctx.url.searchParams.get("done") ?? ""];
    return ctx.render(await pageData(ctx, { notice }));
  },

  async POST(ctx) {
    const form = await readForm(ctx.req);
    const { kv } = ctx.state.services;
    const self = ctx.state.user!;
    const role: Role = form.role === "admin" ? "admin" : "agent";
    try {
      switch (form.action) {
        case "add":
          await createUser(
            kv,
            { email: form.email ?? "", name: form.name ?? "", role, password: form.password ?? "" },
            { iterations: ctx.state.services.passwordIterations },
          );
          return seeTeam("added");
        case "disable":
        case "enable":
        case "remove": {
          const id = form.id ?? "";
          if (id === self.id) {
            return ctx.render(
              await pageData(ctx, {
                error: "You cannot disable or remove your own account; ask another admin.",
              }),
              { status: 400 },
            );
          }
          if (form.action === "remove") {
            // Removing someone already gone ends in the same state, so it reads the same.
            await removeUser(kv, id);
            return seeTeam("removed");
          }
          await setDisabled(kv, id, form.action === "disable");
          return seeTeam(form.action === "disable" ? "disabled" : "enabled");
        }
        default:
          return ctx.render(await pageData(ctx, { error: "Unknown action." }), { status: 400 });
      }
    } catch (err) {
      // A refused change shows the page again with the reason, at the status the API would give.
      const status = errorAnswer(err)?.status;
      if (status === undefined) throw err;
      const draft = form.action === "add"
        ? { email: form.email ?? "", name: form.name ?? "", role }
        : undefined;
      return ctx.render(await pageData(ctx, { error: (err as Error).message, draft }), { status });
    }
  },
});

async function pageData(
  ctx: RouteContext<TeamData>,
  extra: Partial<TeamData>,
): Promise<TeamData> {
  return {
    users: await listUsers(ctx.state.services.kv),
    selfId: ctx.state.user!.id,
    ...extra,
  };
}

function seeTeam(done: string): Response {
  return new Response(null, { status: 303, headers: { location: `/team?done=${done}` } });
}

export default define.page<TeamData>(function Team({ data }) {
  const draft = data.draft ?? { email: "", name: "", role: "agent" as Role };
  return (
    <section>
      <h1>Team</h1>
      <p>
        <a href="/team/routing">Routing, working hours and the speed-to-lead clock</a>
      </p>
      {data.notice && <p class="form-notice" role="status">{data.notice}</p>}
      {data.error && <p class="form-error" role="alert">{data.error}</p>}
      <table class="team-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Last sign-in</th>
            <th>
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data.users.map((user) => (
            <tr key={user.id} data-user-email={user.email}>
              <td>{user.name}</td>
              <td>{user.email}</td>
              <td>{user.role}</td>
              <td>{user.disabled ? "disabled" : "active"}</td>
              <td>
                {user.lastLoginAt ? user.lastLoginAt.slice(0, 16).replace("T", " ") : "never"}
              </td>
              <td class="team-actions">
                {user.id === data.selfId ? <span>you</span> : (
                  <>
                    <form method="post" action="/team">
                      <input type="hidden" name="id" value={user.id} />
                      <button
                        type="submit"
                        name="action"
                        value={user.disabled ? "enable" : "disable"}
                        class="button"
                      >
                        {user.disabled ? "Enable" : "Disable"}
                      </button>
                    </form>
                    <form method="post" action="/team">
                      <input type="hidden" name="id" value={user.id} />
                      <button type="submit" name="action" value="remove" class="button">
                        Remove
                      </button>
                    </form>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Add a team member</h2>
      <form method="post" action="/team" class="stacked-form">
        <input type="hidden" name="action" value="add" />
        <label>
          Name
          <input type="text" name="name" value={draft.name} required maxLength={100} />
        </label>
        <label>
          Email
          <input type="email" name="email" value={draft.email} required />
        </label>
        <label>
          Role
          <select name="role">
            <option value="agent" selected={draft.role === "agent"}>Agent</option>
            <option value="admin" selected={draft.role === "admin"}>Admin</option>
          </select>
        </label>
        <label>
          Password (at least 10 characters; share it with them privately)
          <input
            type="password"
            name="password"
            autocomplete="new-password"
            required
            minLength={10}
          />
        </label>
        <button type="submit" class="button button-primary">Add</button>
      </form>
    </section>
  );
});
