import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderConfigHelp } from './config-help.js';
import { boolOption, numberOption, positive, secretOption, textOption } from './config-options.js';

const Schema = z.object({
  'data-dir': textOption({ env: 'T_DATA_DIR', help: 'state directory' }, '/var/lib/t'),
  verbose: boolOption({ help: 'say more' }),
  'rate-ms': numberOption({ env: 'T_RATE_MS', help: 'interval' }, 250, positive()),
  token: secretOption({ env: 'T_TOKEN', help: 'a token' }),
});

describe('renderConfigHelp', () => {
  const help = renderConfigHelp('Usage: t [options]', Schema);
  it.each([
    /^Usage: t \[options\]\n\nOptions:\n/,
    /^ {2}--config FILE {18}JSON file with any option below \(keys in camelCase\)$/m,
    /^ {2}--data-dir VALUE {15}state directory \(env T_DATA_DIR, default \/var\/lib\/t\)$/m,
    /^ {2}--verbose {22}say more \(default false\)$/m,
    /^ {2}--rate-ms VALUE {16}interval \(env T_RATE_MS, default 250\)$/m,
    /\n\nEnvironment:\n {2}T_TOKEN {24}a token \(or T_TOKEN_FILE naming a file that holds it\)\n$/,
  ])('prints a line matching %s', (line) => {
    expect(help).toMatch(line);
  });

  it('offers no --flag for a setting read only from the environment', () => {
    expect(help).not.toContain('--token');
  });
});
