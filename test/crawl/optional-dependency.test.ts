/**
 * Optional peer dependencies: an absent package becomes an error naming what
 * to install; an error from inside a package that is there passes through.
 * (test/package/tarball.test.ts sees the same from a real install without them.)
 */
import { describe, expect, it } from 'vitest';
import { MissingDependencyError, importOptional, isNotInstalled } from '../../src/util/optional-dependency.ts';

const ABSENT = 'btdht-test-no-such-package';

describe('importOptional', () => {
  it('turns a package that is not installed into a MissingDependencyError saying what to install', async () => {
    const error = await importOptional('The thing', ABSENT, () => import(/* @vite-ignore */ ABSENT)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as MissingDependencyError).packages).toEqual([ABSENT]);
    expect((error as Error).message).toBe(`The thing needs ${ABSENT}, which is not installed: run \`npm install ${ABSENT}\``);
  });

  it('passes through what a present package throws, even when it names a missing module of its own', async () => {
    const inner = new Error("Cannot find module './lib/binding.node'");
    await expect(importOptional('The thing', 'better-sqlite3', () => Promise.reject(inner))).rejects.toBe(inner);
    expect(isNotInstalled(new SyntaxError('Unexpected token'), 'pg')).toBe(false);
    expect(isNotInstalled('pg', 'pg')).toBe(false);
  });

  it('loads a package that is there', async () => {
    const bencode = await importOptional('Decoding', 'bencode', () => import('bencode'));
    expect(typeof bencode.default.encode).toBe('function');
  });
});
