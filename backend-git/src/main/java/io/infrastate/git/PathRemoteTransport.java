package io.infrastate.git;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.errors.NotSupportedException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.BasePackFetchConnection;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.BasePackPushConnection;
import org.eclipse.jgit.transport.PackTransport;
import org.eclipse.jgit.transport.PushConnection;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.RemoteConfig;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UploadPack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport to a remote that is a path on this machine (or a shared disk): fetches through
 * JGit's in-process {@code upload-pack} speaking protocol version 2 (JGit's own local transport
 * speaks version 0, whose fetch client cannot deepen a shallow clone that has 64 commits or more:
 * it reads the answer to its first "have" lines where the server sent the shallow boundary), and
 * pushes through JGit's in-process {@code receive-pack} with two settings of the remote's
 * configuration overridden in memory (never saved to its config file). An upload-pack or
 * receive-pack program set with {@link Transport#setOptionUploadPack} or {@link
 * Transport#setOptionReceivePack} runs as JGit runs it.
 */
final class PathRemoteTransport extends Transport implements PackTransport {
  private static final Logger LOG = LoggerFactory.getLogger(PathRemoteTransport.class);

  /*
   * Design notes: why pushes to a path remote do not run JGit's automatic gc.
   *
   * JGit's receive-pack starts an automatic gc on the remote after a push once the remote holds
   * more than 50 packs (receive.autogc, true by default), and every push stores a pack, so under
   * a steady stream of writes a gc starts after nearly every push. That gc lists the pack
   * directory and deletes each ".idx" whose ".pack" the listing did not show; a directory listing
   * is not a snapshot, so a pack that another process renamed into place during the listing can
   * lose its index. Its objects are then gone: measured with 8 threads pushing lock refs, within
   * a minute `git fsck` on the remote reported "invalid sha1 pointer" for the lock ref and three
   * ".pack" files had no ".idx". So no push from infrastate starts a gc on the remote: whoever
   * runs the remote runs `git gc` there on a schedule, as servers do.
   *
   * The same pushes fsync what they write when the store does (core.fsyncObjectFiles and
   * core.fsyncRefFiles), so that a pushed version survives a power loss of the remote's disk.
   */

  private final Transport local;
  private final Path remoteDir;
  private final boolean fsync;

  /**
   * @param local JGit's transport for the same URI, used for fetching and closed with this one
   * @param remoteDir the remote repository's directory
   */
  PathRemoteTransport(Repository repo, URIish uri, Transport local, Path remoteDir, boolean fsync) {
    super(repo, uri);
    this.local = local;
    this.remoteDir = remoteDir;
    this.fsync = fsync;
  }

  @Override
  public FetchConnection openFetch() throws NotSupportedException, TransportException {
    String uploadPack = getOptionUploadPack();
    if (!RemoteConfig.DEFAULT_UPLOAD_PACK.equals(uploadPack) && !"git upload-pack".equals(uploadPack)) {
      local.setTimeout(getTimeout());
      local.setOptionUploadPack(uploadPack);
      if (getDepth() != null) {
        local.setDepth(getDepth());
      }
      return local.openFetch();
    }
    Repository remote;
    try {
      remote = Repositories.open(remoteDir);
    } catch (IOException e) {
      throw new NoRemoteRepositoryException(getURI(), "cannot open the repository: " + e.getMessage());
    }
    return new InProcessFetch(this, remote);
  }

  /**
   * A fetch served by an {@link UploadPack} on a thread of this JVM, connected by pipes, speaking
   * protocol version 2; the remote repository is closed when the upload-pack ends.
   */
  private static final class InProcessFetch extends BasePackFetchConnection {
    private final ServerThread server;

    InProcessFetch(PathRemoteTransport transport, Repository remote) throws TransportException {
      super(transport);
      UploadPack up = new UploadPack(remote);
      up.setTimeout(transport.getTimeout());
      up.setExtraParameters(List.of("version=2"));
      server = new ServerThread(transport, remote, "upload-pack", (in, out) -> up.upload(in, out, null));
      init(server.toClient, server.clientOut);
      if (!readAdvertisedRefs()) {
        lsRefs(List.of()); // version 2: the refs are asked for (false: advertised at once, version 0)
      }
    }

    @Override
    public void close() {
      super.close();
      server.join();
    }
  }

  @Override
  public PushConnection openPush() throws NotSupportedException, TransportException {
    String receivePack = getOptionReceivePack();
    if (!RemoteConfig.DEFAULT_RECEIVE_PACK.equals(receivePack) && !"git receive-pack".equals(receivePack)) {
      // A receive-pack program was configured (to run the remote's hooks, say): it runs as its own
      // process, with the remote's own settings.
      local.setTimeout(getTimeout());
      local.setOptionReceivePack(receivePack);
      return local.openPush();
    }
    Repository remote;
    try {
      remote = Repositories.open(remoteDir);
    } catch (IOException e) {
      throw new NoRemoteRepositoryException(getURI(), "cannot open the repository: " + e.getMessage());
    }
    remote.getConfig().setBoolean("receive", null, "autogc", false);
    if (fsync) {
      Repositories.fsyncWrites(remote);
    }
    return new InProcessPush(this, remote);
  }

  /**
   * A push served by a {@link ReceivePack} on a thread of this JVM, connected by pipes; the
   * remote repository is closed when the receive-pack ends.
   */
  private static final class InProcessPush extends BasePackPushConnection {
    private final ServerThread server;

    InProcessPush(PathRemoteTransport transport, Repository remote) throws TransportException {
      super(transport);
      ReceivePack rp = new ReceivePack(remote);
      rp.setTimeout(transport.getTimeout());
      server = new ServerThread(transport, remote, "receive-pack", (in, out) -> rp.receive(in, out, null));
      init(server.toClient, server.clientOut);
      readAdvertisedRefs();
    }

    @Override
    public void close() {
      super.close();
      server.join();
    }
  }

  /** The server side of an in-process connection: reads the client's requests, writes its answers. */
  private interface ServerSide {
    void serve(InputStream fromClient, OutputStream toClient) throws IOException;
  }

  /**
   * Two pipes between a connection and its server, and the daemon thread that serves them; the
   * remote repository is closed when the server ends. A server that fails leaves a broken pipe,
   * which the client reads and reports as a failed fetch or push.
   */
  private static final class ServerThread {
    final PipedInputStream toClient = new PipedInputStream();
    final PipedOutputStream clientOut;
    private Thread worker;

    ServerThread(PathRemoteTransport transport, Repository remote, String name, ServerSide side)
        throws TransportException {
      PipedOutputStream serverOut;
      PipedInputStream toServer;
      try {
        serverOut = new PipedOutputStream(toClient);
        toServer = new PipedInputStream();
        clientOut = new PipedOutputStream(toServer);
      } catch (IOException e) {
        remote.close();
        throw new TransportException(transport.getURI(), "cannot connect to the in-process " + name, e);
      }
      worker = new Thread(() -> {
        try {
          side.serve(toServer, serverOut);
        } catch (IOException e) {
          LOG.debug("In-process {} for {} failed: {}", name, remote.getDirectory(), e.toString());
        } finally {
          closeQuietly(toServer);
          closeQuietly(serverOut);
          remote.close();
        }
      }, "infrastate-" + name);
      worker.setDaemon(true);
      worker.start();
    }

    /** Waits for the server to end (the connection has closed its side). */
    void join() {
      Thread w = worker;
      worker = null;
      if (w != null) {
        try {
          w.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // already broken: nothing more to release
    }
  }

  @Override
  public void close() {
    local.close();
  }
}
