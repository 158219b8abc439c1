// The folder tree of the secrets the caller can see, filtered by the search box. A path can be a
// secret and a folder at once (`a/b` and `a/b/c`), as in DC/OS.

interface TreeNode {
  readonly name: string;
  readonly path: string;
  isSecret: boolean;
  readonly children: Map<string, TreeNode>;
}

function buildTree(paths: readonly string[]): TreeNode {
  const root: TreeNode = { name: '', path: '', isSecret: false, children: new Map() };
  for (const path of paths) {
    let node = root;
    for (const segment of path.split('/')) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = {
          name: segment,
          path: node.path === '' ? segment : `${node.path}/${segment}`,
          isSecret: false,
          children: new Map(),
        };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.isSecret = true;
  }
  return root;
}

export function SecretTree(props: {
  paths: readonly string[];
  selected: string | undefined;
  onSelect(path: string): void;
}) {
  const root = buildTree(props.paths);
  if (root.children.size === 0) return <p class="muted">No secrets to show.</p>;
  return <TreeLevel node={root} {...props} />;
}

function TreeLevel(props: { node: TreeNode; selected: string | undefined; onSelect(path: string): void }) {
  const children = [...props.node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return (
    <ul class="tree">
      {children.map((child) => (
        <li key={child.path}>
          {child.children.size > 0 ? (
            <details open>
              <summary>
                <span class="folder">{child.name}/</span>
              </summary>
              {child.isSecret ? (
                <SecretButton node={child} selected={props.selected} onSelect={props.onSelect} />
              ) : null}
              <TreeLevel node={child} selected={props.selected} onSelect={props.onSelect} />
            </details>
          ) : (
            <SecretButton node={child} selected={props.selected} onSelect={props.onSelect} />
          )}
        </li>
      ))}
    </ul>
  );
}

function SecretButton(props: { node: TreeNode; selected: string | undefined; onSelect(path: string): void }) {
  return (
    <button
      type="button"
      class="secret-link"
      aria-current={props.selected === props.node.path ? 'true' : undefined}
      aria-label={`Secret ${props.node.path}`}
      onClick={() => props.onSelect(props.node.path)}
    >
      {props.node.name}
    </button>
  );
}
