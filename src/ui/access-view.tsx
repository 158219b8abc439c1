// The Access tab (superusers only): users, service accounts (keypair made here, credential
// downloaded once), groups when the store has them, and per-path secret grants.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, describeError, type Api } from './api.js';
import { GrantsPanel } from './grants-panel.js';
import { iamUrls } from './iam-urls.js';
import { saveFile } from './save-file.js';
import { NameList } from './name-list.js';
import { generateServiceKeyPair } from './service-keypair.js';
import { SmallForm } from './small-form.js';

export interface Account {
  readonly uid: string;
  readonly description?: string;
}

interface Group {
  readonly gid: string;
  readonly description?: string;
}

export function AccessView(props: { api: Api; self: string }) {
  const { api } = props;
  const [users, setUsers] = useState<readonly Account[]>([]);
  const [services, setServices] = useState<readonly Account[]>([]);
  const [groups, setGroups] = useState<readonly Group[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);

  // All three lists land together, so the page never shows users before it knows about groups.
  const reload = useCallback(async () => {
    const [userList, serviceList, groupList] = await Promise.allSettled([
      api.json<{ array: Account[] }>('GET', iamUrls.users('user')),
      api.json<{ array: Account[] }>('GET', iamUrls.users('service')),
      api.json<{ array: Group[] }>('GET', iamUrls.groups()),
    ]);
    const failures: string[] = [];
    if (userList.status === 'fulfilled') setUsers(userList.value.array);
    else failures.push(describeError(userList.reason));
    if (serviceList.status === 'fulfilled') setServices(serviceList.value.array);
    else failures.push(describeError(serviceList.reason));
    if (groupList.status === 'fulfilled') setGroups(groupList.value.array);
    // A store without the groups API: the section hides itself.
    else if (groupList.reason instanceof ApiError && groupList.reason.status === 404) setGroups(undefined);
    else failures.push(describeError(groupList.reason));
    if (failures.length > 0) setError(failures.join('\n'));
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const act = async (work: () => Promise<string>): Promise<boolean> => {
    setError(undefined);
    setStatus(undefined);
    try {
      setStatus(await work());
      await reload();
      return true;
    } catch (failure) {
      setError(describeError(failure));
      return false;
    }
  };

  const createUser = (fields: Record<string, string>) =>
    act(async () => {
      const uid = fields['uid'] ?? '';
      await api.request('PUT', iamUrls.user(uid), {
        json: { password: fields['password'] ?? '', ...descriptionOf(fields) },
      });
      return `Created user ${uid}.`;
    });

  const createService = (fields: Record<string, string>) =>
    act(async () => {
      const uid = fields['uid'] ?? '';
      const keys = await generateServiceKeyPair();
      await api.request('PUT', iamUrls.user(uid), {
        json: { public_key: keys.publicKeyPem, ...descriptionOf(fields) },
      });
      const credential = {
        login_endpoint: `${location.origin}/acs/api/v1/auth/login`,
        private_key: keys.privateKeyPem,
        scheme: 'RS256',
        uid,
      };
      saveFile(
        new Blob([`${JSON.stringify(credential, null, 2)}\n`], { type: 'application/json' }),
        `${uid}-credential.json`,
      );
      return `Created service account ${uid}. Its credential (${uid}-credential.json) was downloaded: it is the only copy of the private key.`;
    });

  const createGroup = (fields: Record<string, string>) =>
    act(async () => {
      const gid = fields['gid'] ?? '';
      await api.request('PUT', iamUrls.group(gid), { json: descriptionOf(fields) });
      return `Created group ${gid}.`;
    });

  const addMember = (fields: Record<string, string>) =>
    act(async () => {
      await api.request('PUT', iamUrls.groupMember(fields['gid'] ?? '', fields['uid'] ?? ''));
      return `Added ${fields['uid'] ?? ''} to ${fields['gid'] ?? ''}.`;
    });

  const removeAccount = (uid: string) =>
    act(async () => {
      await api.request('DELETE', iamUrls.user(uid));
      return `Deleted ${uid}.`;
    });

  const removeGroup = (gid: string) =>
    act(async () => {
      await api.request('DELETE', iamUrls.group(gid));
      return `Deleted group ${gid}.`;
    });

  return (
    <main class="access">
      <h1>Access</h1>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {status === undefined ? null : (
        <p class="notice" role="status">
          {status}
        </p>
      )}
      <div class="access-grid">
        <section class="card" aria-labelledby="users-title">
          <h2 id="users-title">Users</h2>
          <NameList
            kind="user"
            items={users.map((user) => ({ id: user.uid, description: user.description }))}
            keep={props.self}
            onDelete={removeAccount}
          />
          <SmallForm
            label="New user"
            fields={[
              { name: 'uid', label: 'User ID', required: true },
              { name: 'password', label: 'Password', type: 'password', required: true },
              { name: 'description', label: 'Description' },
            ]}
            submitLabel="Create user"
            onSubmit={createUser}
          />
        </section>
        <section class="card" aria-labelledby="services-title">
          <h2 id="services-title">Service accounts</h2>
          <NameList
            kind="service account"
            items={services.map((account) => ({ id: account.uid, description: account.description }))}
            onDelete={removeAccount}
          />
          <SmallForm
            label="New service account"
            fields={[
              { name: 'uid', label: 'Service account ID', required: true },
              { name: 'description', label: 'Description' },
            ]}
            submitLabel="Create and download credential"
            onSubmit={createService}
          />
        </section>
        {groups === undefined ? null : (
          <section class="card" aria-labelledby="groups-title">
            <h2 id="groups-title">Groups</h2>
            <NameList
              kind="group"
              items={groups.map((group) => ({ id: group.gid, description: group.description }))}
              onDelete={removeGroup}
            />
            <SmallForm
              label="New group"
              fields={[
                { name: 'gid', label: 'Group ID', required: true },
                { name: 'description', label: 'Description' },
              ]}
              submitLabel="Create group"
              onSubmit={createGroup}
            />
            <SmallForm
              label="Add a member"
              fields={[
                { name: 'gid', label: 'Group ID', required: true },
                { name: 'uid', label: 'Member user ID', required: true },
              ]}
              submitLabel="Add member"
              onSubmit={addMember}
            />
          </section>
        )}
        <GrantsPanel
          api={api}
          accounts={[...users, ...services].map((account) => account.uid)}
          groups={(groups ?? []).map((group) => group.gid)}
        />
      </div>
    </main>
  );
}

function descriptionOf(fields: Record<string, string>): { description?: string } {
  const description = fields['description'] ?? '';
  return description === '' ? {} : { description };
}
