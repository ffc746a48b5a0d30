/**
 * The TaskStore methods, written once for both stores. A store is its operations (each a function
 * of the store's context: sqlite/ and postgres/ create.ts, read.ts, transition.ts or hot-path.ts and
 * locking.ts, edit.ts, admin.ts) plus its connection, change feed and lifecycle; this class turns
 * the operations into the contract's methods, with the contract's defaults, so the two stores
 * cannot differ in them (nor in the texts they refuse to store: domain/text.ts).
 */
import type { ImportResult, ImportRow } from "../domain/import.js";
import type { NewTask, Task, TaskStats } from "../domain/task.js";
import { assertStorable } from "../domain/text.js";
import type { TaskPatch } from "../domain/validate.js";
import type {
  ClaimOptions,
  CreateResult,
  ListQuery,
  RetryOptions,
  TaskPage,
  WorkerOptions,
} from "./types.js";

type Awaitable<T> = T | Promise<T>;

/** What a store implements; `C` is its context (connection, statements, feed, clock). */
export interface TaskOperations<C> {
  createBatch(ctx: C, inputs: NewTask[]): Awaitable<CreateResult[]>;
  get(ctx: C, id: string): Awaitable<Task>;
  list(ctx: C, query: ListQuery): Awaitable<TaskPage>;
  peekNext(ctx: C): Awaitable<Task | null>;
  stats(ctx: C): Awaitable<TaskStats>;
  completeIds(ctx: C, prefix: string, limit: number): Awaitable<string[]>;
  claimNext(ctx: C, options: ClaimOptions): Promise<Task | null>;
  start(ctx: C, id: string, options: ClaimOptions): Promise<Task>;
  renewLease(ctx: C, id: string, options: Required<ClaimOptions>): Promise<Task>;
  complete(ctx: C, id: string, result: string, options: WorkerOptions): Promise<Task>;
  completeBatch(ctx: C, ids: string[], result: string): Promise<Task[]>;
  fail(ctx: C, id: string, reason: string, options: WorkerOptions): Promise<Task>;
  retry(ctx: C, id: string, feedback: string, options: RetryOptions): Promise<Task>;
  release(ctx: C, id: string, options: WorkerOptions & { note?: string }): Promise<Task>;
  expireLeases(ctx: C): Promise<Task[]>;
  update(ctx: C, id: string, patch: TaskPatch): Promise<Task>;
  remove(ctx: C, id: string, force: boolean): Promise<Task>;
  reset(ctx: C, id: string): Promise<Task>;
  importTasks(ctx: C, rows: ImportRow[]): Promise<ImportResult>;
  resetAll(ctx: C): Promise<number>;
  clearCompleted(ctx: C): Promise<number>;
}

/** Every method is async, so an operation that throws at once rejects instead. */
export abstract class OperationStore<C> {
  protected abstract readonly ctx: C;
  protected abstract readonly ops: TaskOperations<C>;

  async create(input: NewTask): Promise<CreateResult> {
    const [result] = await this.ops.createBatch(this.ctx, [input]);
    return result as CreateResult;
  }

  async createBatch(inputs: NewTask[]): Promise<CreateResult[]> {
    return this.ops.createBatch(this.ctx, inputs);
  }

  async get(id: string): Promise<Task> {
    return this.ops.get(this.ctx, id);
  }

  async list(query: ListQuery = {}): Promise<TaskPage> {
    return this.ops.list(this.ctx, query);
  }

  async peekNext(): Promise<Task | null> {
    return this.ops.peekNext(this.ctx);
  }

  async stats(): Promise<TaskStats> {
    return this.ops.stats(this.ctx);
  }

  async completeIds(prefix: string, limit = 20): Promise<string[]> {
    return this.ops.completeIds(this.ctx, prefix, limit);
  }

  async claimNext(options: ClaimOptions): Promise<Task | null> {
    return this.ops.claimNext(this.ctx, options);
  }

  async start(id: string, options: ClaimOptions): Promise<Task> {
    return this.ops.start(this.ctx, id, options);
  }

  async renewLease(id: string, options: Required<ClaimOptions>): Promise<Task> {
    return this.ops.renewLease(this.ctx, id, options);
  }

  async complete(id: string, result: string, options: WorkerOptions = {}): Promise<Task> {
    assertStorable("result", result);
    return this.ops.complete(this.ctx, id, result, options);
  }

  async completeBatch(ids: string[], result: string): Promise<Task[]> {
    assertStorable("result", result);
    return this.ops.completeBatch(this.ctx, ids, result);
  }

  async fail(id: string, reason: string, options: WorkerOptions = {}): Promise<Task> {
    assertStorable("reason", reason);
    return this.ops.fail(this.ctx, id, reason, options);
  }

  async retry(id: string, feedback: string, options: RetryOptions = {}): Promise<Task> {
    assertStorable("feedback", feedback);
    return this.ops.retry(this.ctx, id, feedback, options);
  }

  async release(id: string, options: WorkerOptions & { note?: string } = {}): Promise<Task> {
    return this.ops.release(this.ctx, id, options);
  }

  async expireLeases(): Promise<Task[]> {
    return this.ops.expireLeases(this.ctx);
  }

  async update(id: string, patch: TaskPatch): Promise<Task> {
    return this.ops.update(this.ctx, id, patch);
  }

  async delete(id: string, options: { force?: boolean | undefined } = {}): Promise<Task> {
    return this.ops.remove(this.ctx, id, options.force === true);
  }

  async reset(id: string): Promise<Task> {
    return this.ops.reset(this.ctx, id);
  }

  async importTasks(rows: ImportRow[]): Promise<ImportResult> {
    return this.ops.importTasks(this.ctx, rows);
  }

  async resetAll(): Promise<number> {
    return this.ops.resetAll(this.ctx);
  }

  async clearCompleted(): Promise<number> {
    return this.ops.clearCompleted(this.ctx);
  }
}
