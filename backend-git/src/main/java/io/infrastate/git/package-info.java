/**
 * The Git backend and Git lock provider (API): a state file in a Git repository, one commit per write,
 * and locks as refs under {@code refs/infrastate/locks/}, with JGit (no {@code git} binary needed at
 * run time). See {@link io.infrastate.git.GitBackend} for the semantics, {@link
 * io.infrastate.git.GitBackend.Builder} for programmatic configuration, and {@link
 * io.infrastate.git.GitLockProvider} for locks.
 *
 * <h2>URI grammar</h2>
 *
 * <pre>
 * git-state-uri = "git+" transport "://" location [ "?" params ] [ "#" [ branch ] [ ":" path ] ]
 * transport     = "file" | "ssh" | "https" | "http"
 * location      = "/" absolute-path                      ; file: a repository on this machine
 *               | [ user [ ":" password ] "@" ] host [ ":" port ] "/" path   ; ssh, https, http
 * params        = param *( "&amp;" param )
 * param         = "clone=" directory                     ; where to keep the clone (see below)
 *               | "create=" ( "true" | "false" )         ; file without clone: init a bare repository if missing
 *               | "timeout=" seconds                     ; network timeout for fetch and push (default 30)
 *               | "fsync=" ( "true" | "false" )          ; fsync objects and refs (default true)
 *               | "layout=" ( "single" | "tree" )        ; layout of a new state (default single; docs/git.md)
 * branch        = a Git branch name                      ; default "main"
 * path          = the state file inside the repository   ; default "state.json", "/"-separated, relative
 * </pre>
 *
 * <p>Examples:
 *
 * <pre>
 * git+file:///srv/infra.git#main:state/state.json
 *     commits directly into the repository /srv/infra.git (local mode)
 * git+file:///srv/infra.git?create=true
 *     the same, on branch main, file state.json, creating a bare repository if there is none
 * git+file:///mnt/shared/infra.git?clone=/var/cache/infrastate/infra#main:state.json
 *     treats /mnt/shared/infra.git as a remote: fetch, commit in the clone, push
 * git+ssh://git@git.example.com/ops/infra.git#main:state.json
 * git+ssh://git@git.example.com:2222/ops/infra.git?clone=/var/cache/infrastate/infra#prod:state.json
 * git+https://git.example.com/ops/infra.git#main:state.json
 * git+https://bot:TOKEN@git.example.com/ops/infra.git#main:state.json
 * </pre>
 *
 * <p>Reserved characters in a clone directory or branch are percent-encoded ({@code %20} for a
 * space). The fragment's first {@code :} separates branch and path (branch names cannot contain
 * {@code :}). A remote URI without {@code clone} keeps its clone in {@code
 * ~/.cache/infrastate/git/HOST-REPO-HASH}.
 *
 * <h2>Credentials</h2>
 *
 * Through JGit's standard mechanisms: for HTTPS, a user and password or token in the URI (held in
 * memory only, never written to the clone's config, never shown in messages or {@link
 * io.infrastate.spi.Backend#location()}), else {@link
 * org.eclipse.jgit.transport.CredentialsProvider#getDefault()}, or a provider given to {@link
 * io.infrastate.git.GitBackend.Builder#credentials}. For SSH, add JGit's SSH client to the class
 * path ({@code org.eclipse.jgit:org.eclipse.jgit.ssh.apache}, same version as JGit), which uses
 * {@code ~/.ssh} keys, {@code ~/.ssh/config} and the SSH agent as OpenSSH does; without it, JGit
 * runs the system {@code ssh} command instead (and error messages say so). {@link
 * io.infrastate.git.GitBackend.Builder#transportConfig} configures anything else per transport.
 *
 * <h2>Locks</h2>
 *
 * {@link io.infrastate.git.GitLockProvider} keeps locks as refs {@code
 * refs/infrastate/locks/NAME} in the same kinds of repositories (local, or a clone of a remote),
 * configured like the backend; it has no URI scheme of its own.
 *
 * <h2>Service loading</h2>
 *
 * {@link io.infrastate.git.GitBackendProvider} is registered in {@code
 * META-INF/services/io.infrastate.spi.BackendProvider}.
 */
package io.infrastate.git;
