// The file backend's in-memory folder tree of keys, so `list(prefix)` visits only that folder's
// subtree instead of every key.

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  hasValue: boolean;
}

export class FileKeyTree {
  readonly #root: TreeNode = { children: new Map(), hasValue: false };

  add(key: string): void {
    let node = this.#root;
    for (const segment of key.split('/')) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: new Map(), hasValue: false };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.hasValue = true;
  }

  remove(key: string): void {
    const path: Array<[TreeNode, string]> = [];
    let node = this.#root;
    for (const segment of key.split('/')) {
      const child = node.children.get(segment);
      if (child === undefined) return;
      path.push([node, segment]);
      node = child;
    }
    node.hasValue = false;
    // Drop nodes that hold neither a value nor children, bottom up.
    for (const [parent, segment] of path.reverse()) {
      const child = parent.children.get(segment);
      if (child === undefined || child.hasValue || child.children.size > 0) return;
      parent.children.delete(segment);
    }
  }

  // Every key with a value strictly below folder `prefix` ('' = all), sorted by UTF-16 code units.
  list(prefix: string): string[] {
    let node: TreeNode | undefined = this.#root;
    for (const segment of prefix === '' ? [] : prefix.split('/')) {
      node = node.children.get(segment);
      if (node === undefined) return [];
    }
    const keys: string[] = [];
    const stack: Array<[TreeNode, string]> = [[node, prefix === '' ? '' : `${prefix}/`]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [current, base] = item;
      for (const [segment, child] of current.children) {
        const key = base + segment;
        if (child.hasValue) keys.push(key);
        if (child.children.size > 0) stack.push([child, `${key}/`]);
      }
    }
    return keys.sort();
  }
}
