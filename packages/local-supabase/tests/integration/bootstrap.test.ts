import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../../src/testing-vitest.ts";

const db = useTestDatabase();

const claims = {
  sub: "5f1c8a0e-3c6b-4a41-9d8e-0b7a7e1f2c3d",
  role: "authenticated",
  email: "ada@example.com",
  app_metadata: { provider: "email", user_role: "moderator" },
};

describe("auth helpers read request.jwt.claims as Supabase's do", () => {
  it("return the claims set for the transaction", async () => {
    const [row] = await db.sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      return tx`select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() as jwt`;
    });
    expect(row).toEqual({ uid: claims.sub, role: "authenticated", email: "ada@example.com", jwt: claims });
  });

  it("prefer the single-claim setting request.jwt.claim.sub when it is set", async () => {
    const other = "0e9d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
    const [row] = await db.sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                      set_config('request.jwt.claim.sub', ${other}, true)`;
      return tx`select auth.uid() as uid`;
    });
    expect(row?.uid).toBe(other);
  });

  it("return null outside a request, including after a transaction left empty settings behind", async () => {
    const reserved = await db.sql.reserve();
    try {
      await reserved`begin`;
      await reserved`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      await reserved`commit`;
      const [row] = await reserved`select auth.uid() as uid, auth.role() as role, auth.jwt() as jwt,
        current_setting('request.jwt.claims', true) as raw`;
      expect(row).toEqual({ uid: null, role: null, jwt: null, raw: "" });
    } finally {
      reserved.release();
    }
  });

  it("can be called by anon and authenticated", async () => {
    for (const role of ["anon", "authenticated"]) {
      const [row] = await db.sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify({ ...claims, role })}, true)`;
        await tx.unsafe(`set local role ${role}`);
        return tx`select auth.uid() as uid, auth.role() as role`;
      });
      expect(row).toEqual({ uid: claims.sub, role });
    }
  });
});

describe("roles", () => {
  it("set local role authenticated drops superuser rights until the transaction ends", async () => {
    const reserved = await db.sql.reserve();
    try {
      await reserved`begin`;
      await reserved`set local role authenticated`;
      const [inside] = await reserved`select current_user as user, current_setting('is_superuser') as su`;
      expect(inside).toEqual({ user: "authenticated", su: "off" });
      await expect(reserved`select count(*) from auth.users`).rejects.toThrow(/permission denied/);
      await reserved`rollback`;
      const [after] = await reserved`select current_user as user, current_setting('is_superuser') as su`;
      expect(after).toEqual({ user: "postgres", su: "on" });
    } finally {
      reserved.release();
    }
  });

  it.each(["anon", "authenticated"])("%s cannot read or write the auth schema's tables", async (role) => {
    for (const statement of [
      "select * from auth.users",
      "select * from auth.refresh_tokens",
      "delete from auth.sessions",
      "select secret from auth.mfa_factors",
      "select * from auth.mfa_challenges",
    ]) {
      await expect(
        db.sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await tx.unsafe(statement);
        }),
      ).rejects.toThrow(/permission denied/);
    }
  });

  it("gives the roles the attributes and memberships Supabase gives them", async () => {
    const rows = await db.sql<{ rolname: string; rolcanlogin: boolean; rolbypassrls: boolean; rolinherit: boolean }[]>`
      select rolname, rolcanlogin, rolbypassrls, rolinherit from pg_roles
      where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname`;
    expect(rows).toEqual([
      { rolname: "anon", rolcanlogin: false, rolbypassrls: false, rolinherit: false },
      { rolname: "authenticated", rolcanlogin: false, rolbypassrls: false, rolinherit: false },
      { rolname: "authenticator", rolcanlogin: true, rolbypassrls: false, rolinherit: false },
      { rolname: "service_role", rolcanlogin: false, rolbypassrls: true, rolinherit: false },
    ]);
    const members = await db.sql<{ role: string }[]>`
      select r.rolname as role from pg_auth_members m
      join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
      where u.rolname = 'authenticator' order by 1`;
    expect(members.map((m) => m.role)).toEqual(["anon", "authenticated", "service_role"]);
  });

  it("gives tables created later in public to authenticated only through an explicit grant, then subject to RLS", async () => {
    await db.sql`create table public.bootstrap_probe (id int primary key, owner uuid)`;
    await db.sql`insert into public.bootstrap_probe values (1, ${claims.sub}), (2, gen_random_uuid())`;
    await db.sql`alter table public.bootstrap_probe enable row level security`;
    await db.sql`create policy own on public.bootstrap_probe for select to authenticated
                 using (owner = (select auth.uid()))`;
    const select = () =>
      db.sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        await tx.unsafe("set local role authenticated");
        return tx`select id from public.bootstrap_probe`;
      });
    await expect(select()).rejects.toThrow(/permission denied for table bootstrap_probe/);
    await db.sql`grant select on public.bootstrap_probe to authenticated`;
    expect((await select()).map((r) => r.id)).toEqual([1]);
  });
});

describe("supabase_realtime publication and extensions", () => {
  it("exists for tables to join", async () => {
    const [pub] = await db.sql`select pubname from pg_publication where pubname = 'supabase_realtime'`;
    expect(pub?.pubname).toBe("supabase_realtime");
  });

  it("hashes passwords the way seeds do on Supabase (crypt + gen_salt('bf'))", async () => {
    const [row] = await db.sql`select crypt('secret', gen_salt('bf')) as hash`;
    expect(row?.hash).toMatch(/^\$2a\$06\$/);
    const [check] = await db.sql`select crypt('secret', ${row?.hash}) = ${row?.hash} as ok`;
    expect(check?.ok).toBe(true);
  });

  it("runs with logical WAL so Realtime can replicate", async () => {
    const [row] = await db.sql`show wal_level`;
    expect(row?.wal_level).toBe("logical");
  });
});

describe("the realtime schema apps write policies and triggers against", () => {
  it("realtime.send stores a private broadcast row whose payload carries the row id", async () => {
    await db.sql`select realtime.send(${db.sql.json({ text: "hi" })}, 'greet', 'room-send')`;
    const [row] = await db.sql`
      select id::text, topic, extension, event, payload, private from realtime.messages where topic = 'room-send'`;
    expect(row).toMatchObject({ topic: "room-send", extension: "broadcast", event: "greet", private: true });
    expect(row?.payload).toEqual({ text: "hi", id: row?.id });
    await db.sql`select realtime.send(${db.sql.json({ id: "mine" })}, 'greet', 'room-send-public', false)`;
    const [open] = await db.sql`select payload, private from realtime.messages where topic = 'room-send-public'`;
    expect(open).toEqual({ payload: { id: "mine" }, private: false });
  });

  it("realtime.broadcast_changes sends Supabase's payload shape for a row trigger", async () => {
    await db.sql.unsafe(`
      create table public.bootstrap_rows (id int primary key, body text);
      create function public.bootstrap_rows_broadcast() returns trigger language plpgsql as $$
      begin
        perform realtime.broadcast_changes('rows:' || coalesce(new.id, old.id), tg_op, tg_op, tg_table_name,
                                           tg_table_schema, new, old);
        return null;
      end $$;
      create trigger bootstrap_rows_broadcast after insert or update or delete on public.bootstrap_rows
        for each row execute function public.bootstrap_rows_broadcast();
      insert into public.bootstrap_rows values (1, 'a');
      update public.bootstrap_rows set body = 'b';
      delete from public.bootstrap_rows;`);
    const rows = await db.sql`
      select event, payload - 'id' as payload, private from realtime.messages where topic = 'rows:1'
       order by inserted_at, event desc`;
    const shape = (operation: string, record: unknown, old: unknown) => ({
      event: operation,
      private: true,
      payload: { operation, table: "bootstrap_rows", schema: "public", record, old_record: old },
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        shape("INSERT", { id: 1, body: "a" }, null),
        shape("UPDATE", { id: 1, body: "b" }, { id: 1, body: "a" }),
        shape("DELETE", null, { id: 1, body: "b" }),
      ]),
    );
    expect(rows).toHaveLength(3);
  });

  it("lets authenticated use realtime.messages only as its policies allow, realtime.topic() naming the topic", async () => {
    const asUser = <T>(run: (tx: typeof db.sql) => Promise<T>) =>
      db.sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true),
                        set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        return run(tx as unknown as typeof db.sql);
      });
    // Without a policy the insert is refused, and realtime.send turns that into a warning.
    await asUser((tx) => tx`select realtime.send('{}'::jsonb, 'e', 'room-policy')`);
    await expect(
      asUser((tx) => tx`insert into realtime.messages (topic, extension) values ('room-policy', 'broadcast')`),
    ).rejects.toThrow(/row-level security/);
    await db.sql`
      create policy "room writers" on realtime.messages for insert to authenticated
        with check (realtime.topic() = 'room-policy' and extension = 'broadcast')`;
    await db.sql`
      create policy "room readers" on realtime.messages for select to authenticated
        using (realtime.topic() = 'room-policy')`;
    await asUser((tx) => tx`select realtime.send('{"n":1}'::jsonb, 'e', 'room-policy')`);
    const seen = await asUser(async (tx) => {
      await tx`select set_config('realtime.topic', 'room-policy', true)`;
      return tx`select payload ->> 'n' as n from realtime.messages where topic = 'room-policy'`;
    });
    expect(seen).toEqual([{ n: "1" }]);
    const hidden = await asUser((tx) => tx`select 1 from realtime.messages where topic = 'room-policy'`);
    expect(hidden).toEqual([]);
    expect(await db.sql`select count(*)::int as n from realtime.messages where topic = 'room-policy'`).toEqual([{ n: 1 }]);
  });
});
