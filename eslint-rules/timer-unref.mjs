// House rule: every timer the agent owns is unref'd, so the agent never keeps
// its host alive. A setTimeout/setInterval call must be unref'd in the same
// expression (`setTimeout(f, 1).unref()`), or stored in a variable or member
// on which `.unref()` is called — or that is cleared — in the same function.
const TIMERS = new Set(['setTimeout', 'setInterval']);

/** Timer functions: `setTimeout(…)`, `timers.setTimeout(…)`, `globalThis.setTimeout(…)`; not `socket.setTimeout`. */
const TIMER_OWNERS = new Set(['timers', 'globalThis', 'global']);
function calleeName(node) {
  const c = node.callee;
  if (c.type === 'Identifier') return c.name;
  if (
    c.type === 'MemberExpression' &&
    !c.computed &&
    c.property.type === 'Identifier' &&
    c.object.type === 'Identifier' &&
    TIMER_OWNERS.has(c.object.name)
  )
    return c.property.name;
  return null;
}

/** Source text of the place a timer is stored: `t`, `this.timer`. */
function targetText(node, source) {
  let p = node.parent;
  while (p && (p.type === 'TSAsExpression' || p.type === 'TSNonNullExpression')) p = p.parent;
  if (p?.type === 'VariableDeclarator' && p.id.type === 'Identifier') return p.id.name;
  if (p?.type === 'AssignmentExpression') return source.getText(p.left);
  return null;
}

function enclosingFunction(node) {
  for (let p = node.parent; p; p = p.parent) {
    if (
      p.type === 'FunctionDeclaration' ||
      p.type === 'FunctionExpression' ||
      p.type === 'ArrowFunctionExpression' ||
      p.type === 'Program'
    )
      return p;
  }
  return null;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'require .unref() on timers created by the agent' },
    schema: [],
    messages: { unref: "{{name}}() must be unref'd: the agent never keeps its host alive (call .unref() on it)." },
  },
  create(context) {
    const source = context.sourceCode;
    return {
      CallExpression(node) {
        const name = calleeName(node);
        if (name === null || !TIMERS.has(name)) return;
        // setTimeout(...).unref() / ?.unref()
        const parent = node.parent;
        if (parent?.type === 'MemberExpression' && parent.object === node && parent.property.name === 'unref') return;
        const target = targetText(node, source);
        if (target !== null) {
          const fn = enclosingFunction(node);
          const text = fn ? source.getText(fn) : source.getText();
          const escaped = target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          if (new RegExp(`${escaped}\\??\\.unref\\(\\)|clear(?:Timeout|Interval)\\(${escaped}\\)`).test(text)) return;
        }
        context.report({ node, messageId: 'unref', data: { name } });
      },
    };
  },
};
