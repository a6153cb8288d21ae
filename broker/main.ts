#!/usr/bin/env node
import { loadConfig } from '../shared/config.js';
import { renderConfigHelp } from '../shared/config-help.js';
import { errorMessage, isVmpoolError } from '../shared/errors.js';
import { resolveListen } from '../shared/listen.js';
import { createLogger } from '../shared/log.js';
import { sdNotify, startWatchdog } from '../shared/systemd.js';
import { runLicenseCommand } from './license/cli.js';
import { BROKER_USAGE, BrokerConfigSchema } from './options.js';
import { startBroker } from './server.js';

const log = createLogger({ component: 'broker' });

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderConfigHelp(BROKER_USAGE, BrokerConfigSchema));
    return;
  }
  if (argv[0] === 'license') {
    process.exitCode = runLicenseCommand(argv.slice(1), (s) => process.stdout.write(s));
    return;
  }
  // everything that can be wrong with the settings is found before anything is written
  const { config: o } = loadConfig(BrokerConfigSchema, argv);
  const listen = resolveListen(o.listen, { allowAll: o['listen-all'] });
  const broker = await startBroker(o, listen, log);
  sdNotify('READY=1');
  sdNotify(`STATUS=listening on ${listen.host}:${listen.port}`);
  const stopWatchdog = startWatchdog();
  log.info('broker listening', { host: listen.host, port: listen.port, data_dir: o['data-dir'] });
  const stop = (signal: string) => {
    log.info('broker stopping', { signal });
    sdNotify('STOPPING=1');
    stopWatchdog();
    setTimeout(() => process.exit(0), 30_000).unref();
    void broker.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err) => {
  const bad = isVmpoolError(err) && err.code === 'bad_config';
  if (!bad) log.error('broker failed to start', { err });
  process.stderr.write(`vmpool-broker: ${errorMessage(err)}\n`);
  process.exit(bad ? 2 : 1);
});
