import { z } from 'zod';

/**
 * One column: its ClickHouse type exactly as the migrations write it (a test reads
 * `system.columns` after migrating and compares), and the zod type of its JSON value as this code
 * exchanges it with the engine (CLICKHOUSE_SETTINGS: decimals as text, 64-bit integers as numbers).
 */
export interface Column<Z extends z.ZodType = z.ZodType> {
  type: string;
  zod: Z;
  /** Filled by the table's DEFAULT: never written by the code. */
  defaulted?: true;
}

export const column = <Z extends z.ZodType>(type: string, zod: Z): Column<Z> => ({ type, zod });
export const defaulted = <Z extends z.ZodType>(c: Column<Z>): Column<Z> => ({ ...c, defaulted: true });

type Columns = Record<string, Column>;
type Shape<C extends Columns> = { [K in keyof C]: C[K]['zod'] };

/**
 * A ClickHouse table as every service sees it: its name, its columns, and the zod
 * type of one of its rows. The name goes into SQL as `FROM ${table.name}` (a fixed identifier,
 * never a value: values always travel as typed placeholders).
 */
export interface Table<C extends Columns = Columns, N extends string = string> {
  name: N;
  columns: C;
  /**
   * Column names in the module's order: the DDL's, except where a module groups columns (the
   * snapshot fields of notification_events). Every INSERT and SELECT names its columns, so only
   * the set matters, and a test compares it with the DDL by name.
   */
  names: (keyof C & string)[];
  /** The columns an INSERT writes (all but the defaulted ones), in the same order. */
  inserted: (keyof C & string)[];
  row: z.ZodObject<Shape<C>>;
}

/** Any table, for code that only needs its name and columns (a row's zod type is specific to its table). */
export type AnyTable = Pick<Table, 'name' | 'columns' | 'names' | 'inserted'>;

export function defineTable<const N extends string, const C extends Columns>(name: N, columns: C): Table<C, N> {
  const shape = Object.fromEntries(Object.entries(columns).map(([n, c]) => [n, c.zod])) as Shape<C>;
  const names = Object.keys(columns) as (keyof C & string)[];
  return { name, columns, names, inserted: names.filter((n) => !columns[n]?.defaulted), row: z.object(shape) };
}

// Column types shared by several tables; each says how its value reads as JSON.
const text = z.string();
export const col = {
  uuid: () => column('UUID', text),
  nullableUuid: () => column('Nullable(UUID)', text.nullable()),
  string: () => column('String', text),
  nullableString: () => column('Nullable(String)', text.nullable()),
  lowCardinality: () => column('LowCardinality(String)', text),
  nullableLowCardinality: () => column('LowCardinality(Nullable(String))', text.nullable()),
  /** YYYY-MM-DD. */
  date: () => column('Date', text),
  /** Microseconds, UTC; written as ISO 8601 text (date_time_input_format = best_effort). */
  timestamp: () => column("DateTime64(6, 'UTC')", text),
  nullableTimestamp: () => column("Nullable(DateTime64(6, 'UTC'))", text.nullable()),
  uint8: () => column('UInt8', z.number().int()),
  uint16: () => column('UInt16', z.number().int()),
  uint32: () => column('UInt32', z.number().int()),
  nullableUint32: () => column('Nullable(UInt32)', z.number().int().nullable()),
  uint64: () => column('UInt64', z.number().int()),
  int64: () => column('Int64', z.number().int()),
  bool: () => column('Bool', z.boolean()),
  nullableBool: () => column('Nullable(Bool)', z.boolean().nullable()),
  /** Exact decimal text (output_format_json_quote_decimals), never a float. */
  money: () => column('Decimal(38, 10)', text),
};
