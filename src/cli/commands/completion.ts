import { InvalidArgumentError, type Command } from 'commander';
import { FORMATS } from '../output.js';
import { examples } from '../examples.js';

// Shell completion, made from the command tree itself so it never falls
// behind a new subcommand or flag: `source <(flotilla completion bash)`.

interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
}

function walk(command: Command, path: string[] = []): Node[] {
  const flags = command.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
  const visible = command.commands.filter((c) => c.name() !== 'help');
  return [{ path, subcommands: visible.map((c) => c.name()), flags: [...flags, '--help'] }, ...visible.flatMap((c) => walk(c, [...path, c.name()]))];
}

/** The global options, offered at every level. */
const globalFlags = (root: Command) => root.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));

function bash(root: Command): string {
  const nodes = walk(root);
  const global = globalFlags(root);
  const paths = nodes.filter((n) => n.path.length).map((n) => `"${n.path.join(' ')}"`);
  const cases = nodes.map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...new Set([...n.flags, ...global])].join(' ')}" ;;`);
  return `# flotilla completion for bash: source <(flotilla completion bash)
_flotilla() {
  local cur prev path="" w i words=""
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    -o|--output) COMPREPLY=( $(compgen -W "${FORMATS.join(' ')}" -- "$cur") ); return ;;
  esac
  for ((i=1; i<COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
      ${paths.join('|')}) path="\${path:+$path }$w" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _flotilla flotilla
`;
}

function zsh(root: Command): string {
  // zsh runs bash completion functions through bashcompinit: one table, two shells.
  return `#compdef flotilla
# flotilla completion for zsh: source <(flotilla completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(root)}`;
}

function fish(root: Command): string {
  const lines = ['# flotilla completion for fish: flotilla completion fish | source', 'complete -c flotilla -f'];
  for (const o of root.options) lines.push(`complete -c flotilla${o.long ? ` -l ${o.long.slice(2)}` : ''}${o.short ? ` -s ${o.short.slice(1)}` : ''}${o.required ? ' -r' : ''} -d '${o.description.replaceAll("'", "\\'")}'`);
  lines.push(`complete -c flotilla -s o -l output -xa '${FORMATS.join(' ')}'`);
  for (const node of walk(root)) {
    const condition = node.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${node.path[node.path.length - 1]}`;
    if (node.subcommands.length) lines.push(`complete -c flotilla -n '${condition}' -a '${node.subcommands.join(' ')}'`);
  }
  return `${lines.join('\n')}\n`;
}

const SHELLS = { bash, zsh, fish } as const;

export function completionCommand(program: Command): void {
  program
    .command('completion')
    .description('a shell completion script: bash, zsh or fish')
    .argument('<shell>', Object.keys(SHELLS).join(' | '), (shell: string) => {
      if (!(shell in SHELLS)) throw new InvalidArgumentError(`expected one of ${Object.keys(SHELLS).join(', ')}`);
      return shell as keyof typeof SHELLS;
    })
    .addHelpText('after', examples('source <(flotilla completion bash)          # in ~/.bashrc', 'source <(flotilla completion zsh)           # in ~/.zshrc', 'flotilla completion fish | source           # in ~/.config/fish/config.fish'))
    .action((shell: keyof typeof SHELLS) => {
      process.stdout.write(SHELLS[shell](program));
    });
}
