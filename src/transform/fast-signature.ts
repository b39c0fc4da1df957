import { BAIL, isFunction, type JS } from './fast-runtime.js';

/*
 * JSONata's function signature check (signature.js), ported: the arguments' type letters are matched
 * against a regex built from the signature; a missing `-` argument takes the context; an `a` argument
 * that is not an array is wrapped in one (after its `<subtype>` is checked). Where JSONata throws
 * (T0410/T0411/T0412) this throws BAIL.
 */

interface Param {
  regex: string;
  type: string;
  array?: boolean;
  context?: boolean;
  contextRegex?: RegExp;
  subtype?: string;
}

export interface Signature {
  validate(args: readonly unknown[], context: unknown): unknown[];
}

export function typeLetter(value: JS): string {
  if (isFunction(value)) return 'f';
  switch (typeof value) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'object':
      if (value === null) return 'l';
      return Array.isArray(value) ? 'a' : 'o';
    default:
      return 'm';
  }
}

function closingBracket(text: string, start: number, open: string, close: string): number {
  let depth = 1;
  let position = start;
  while (position < text.length) {
    position++;
    const symbol = text.charAt(position);
    if (symbol === close) {
      depth--;
      if (depth === 0) break;
    } else if (symbol === open) {
      depth++;
    }
  }
  return position;
}

export function parseSignature(signature: string): Signature {
  const params: Param[] = [];
  let param: Param = { regex: '', type: '' };
  let prevParam = param;
  const next = () => {
    params.push(param);
    prevParam = param;
    param = { regex: '', type: '' };
  };
  for (let position = 1; position < signature.length; position++) {
    const symbol = signature.charAt(position);
    if (symbol === ':') break;
    switch (symbol) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        param.regex = `[${symbol}m]`;
        param.type = symbol;
        next();
        break;
      case 'a':
        param.regex = '[asnblfom]';
        param.type = symbol;
        param.array = true;
        next();
        break;
      case 'f':
        param.regex = 'f';
        param.type = symbol;
        next();
        break;
      case 'j':
        param.regex = '[asnblom]';
        param.type = symbol;
        next();
        break;
      case 'x':
        param.regex = '[asnblfom]';
        param.type = symbol;
        next();
        break;
      case '-':
        prevParam.context = true;
        prevParam.contextRegex = new RegExp(prevParam.regex);
        prevParam.regex += '?';
        break;
      case '?':
      case '+':
        prevParam.regex += symbol;
        break;
      case '(': {
        const end = closingBracket(signature, position, '(', ')');
        const choice = signature.substring(position + 1, end);
        if (choice.includes('<')) throw new Error(`Unsupported signature ${signature}`);
        param.regex = `[${choice}m]`;
        param.type = `(${choice})`;
        position = end;
        next();
        break;
      }
      case '<': {
        if (prevParam.type !== 'a' && prevParam.type !== 'f') throw new Error(`Bad signature ${signature}`);
        const end = closingBracket(signature, position, '<', '>');
        prevParam.subtype = signature.substring(position + 1, end);
        position = end;
        break;
      }
    }
  }
  const regex = new RegExp(`^${params.map((p) => `(${p.regex})`).join('')}$`);

  return {
    validate(args, context) {
      let supplied = '';
      for (const arg of args) supplied += typeLetter(arg);
      const matched = regex.exec(supplied);
      if (!matched) throw BAIL;
      const validated: unknown[] = [];
      let argIndex = 0;
      params.forEach((p, index) => {
        let arg: JS = args[argIndex];
        const match = matched[index + 1];
        if (match === '') {
          if (p.context && p.contextRegex) {
            if (!p.contextRegex.test(typeLetter(context))) throw BAIL;
            validated.push(context);
          } else {
            validated.push(arg);
            argIndex++;
          }
          return;
        }
        for (const single of match.split('')) {
          arg = args[argIndex];
          if (p.type === 'a') {
            if (single === 'm') {
              arg = undefined;
            } else {
              let arrayOK = true;
              if (p.subtype !== undefined) {
                if (single !== 'a' && match !== p.subtype) {
                  arrayOK = false;
                } else if (single === 'a' && arg.length > 0) {
                  const itemType = typeLetter(arg[0]);
                  if (itemType !== p.subtype.charAt(0)) arrayOK = false;
                  else arrayOK = arg.filter((val: unknown) => typeLetter(val) !== itemType).length === 0;
                }
              }
              if (!arrayOK) throw BAIL;
              if (single !== 'a') arg = [arg];
            }
          }
          validated.push(arg);
          argIndex++;
        }
      });
      return validated;
    },
  };
}
