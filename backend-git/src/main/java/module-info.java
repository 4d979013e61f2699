/**
 * The Git backend ({@code git:} URIs): a state as a file on a branch of a Git repository, written
 * with JGit, and its lock provider. JGit's transport types appear in the builders (credentials,
 * transport callbacks), so its module is read transitively; JGit is an automatic module
 * ({@code Automatic-Module-Name: org.eclipse.jgit}).
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.infrastate.git {
  requires transitive io.infrastate.core;
  requires transitive org.eclipse.jgit;
  requires org.slf4j;

  exports io.infrastate.git;

  provides io.infrastate.spi.BackendProvider with io.infrastate.git.GitBackendProvider;
}
