// A labelled form of a few text fields (new user, new group, ...).
import { useState } from 'preact/hooks';

interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly type?: string;
  readonly required?: boolean;
}

// Cleared after a successful submit.
export function SmallForm(props: {
  label: string;
  fields: readonly FieldSpec[];
  submitLabel: string;
  onSubmit(values: Record<string, string>): Promise<boolean>;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="small-form"
      aria-label={props.label}
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        void props.onSubmit(values).then((ok) => {
          setBusy(false);
          if (ok) setValues({});
        });
      }}
    >
      <h3>{props.label}</h3>
      {props.fields.map((field) => (
        <label key={field.name}>
          {field.label}
          <input
            name={field.name}
            type={field.type ?? 'text'}
            required={field.required === true}
            autocomplete={field.type === 'password' ? 'new-password' : 'off'}
            value={values[field.name] ?? ''}
            onInput={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })}
          />
        </label>
      ))}
      <button type="submit" disabled={busy}>
        {props.submitLabel}
      </button>
    </form>
  );
}
