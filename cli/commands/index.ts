import type { Command } from 'commander';

/** Every command module exports `register(program)`; add new commands to this list. */
export const COMMANDS: Array<(program: Command) => void> = [];
