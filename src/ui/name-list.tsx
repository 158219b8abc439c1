// A list of accounts or groups, each with a Delete button that asks to confirm first.
import { useState } from 'preact/hooks';

export function NameList(props: {
  kind: string;
  items: readonly { id: string; description?: string | undefined }[];
  /** Shown without a delete button (the caller's own account). */
  keep?: string;
  onDelete(id: string): Promise<boolean>;
}) {
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  if (props.items.length === 0) return <p class="muted">None.</p>;
  return (
    <ul class="names">
      {props.items.map((item) => (
        <li key={item.id}>
          <span class="name">{item.id}</span>
          {item.description === undefined || item.description === '' ? null : (
            <span class="muted"> {item.description}</span>
          )}
          {item.id === props.keep ? (
            <span class="muted"> (you)</span>
          ) : confirming === item.id ? (
            <span class="confirm" role="group" aria-label={`Confirm deleting ${item.id}`}>
              <button
                type="button"
                class="danger"
                onClick={() => {
                  void props.onDelete(item.id).then(() => setConfirming(undefined));
                }}
              >
                Delete {item.id}
              </button>
              <button type="button" onClick={() => setConfirming(undefined)}>
                Cancel
              </button>
            </span>
          ) : (
            <button
              type="button"
              class="danger small"
              aria-label={`Delete ${props.kind} ${item.id}`}
              onClick={() => setConfirming(item.id)}
            >
              Delete
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
