package io.infrastate.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * The journal's open channel, kept across appends so that an append is one positional write and
 * one sync. Opened, used and closed under the write lock only; a reader that holds the lock reads
 * through it too (see {@link #read}).
 *
 * <h2>One file, one channel</h2>
 *
 * The channel is tied to the journal's file key (inode): a journal replaced by a compaction, or
 * from outside, gets a new channel, and one replaced while the lock was held (by a process that
 * ignores it) is refused rather than written.
 */
final class JournalChannel {
  private final Path journal;
  // Guarded by the sidecar's write lock:
  private FileChannel channel;
  private Object channelKey;

  JournalChannel(Path journal) {
    this.journal = journal;
  }

  /** The open channel of the journal with {@code key}, reopened if the journal file was replaced. Under the lock. */
  FileChannel open(Object key) throws IOException {
    if (channel == null || !channel.isOpen() || !Objects.equals(channelKey, key)) {
      close();
      FileChannel ch = FileChannel.open(journal, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      FileStamp now = FileStamp.of(journal);
      if (now == null || !Objects.equals(now.key(), key)) {
        ch.close();
        throw new IOException("journal " + journal + " was replaced while the write lock was held; is a process ignoring the lock?");
      }
      channel = ch;
      channelKey = key;
    }
    return channel;
  }

  /** Closes the channel, if open. Under the lock. */
  void close() throws IOException {
    if (channel != null) {
      FileChannel ch = channel;
      channel = null;
      channelKey = null;
      ch.close();
    }
  }

  /**
   * The journal's bytes [from, to): under the lock through the open channel if it is the journal
   * with {@code key} (zeros past its end), else with a read of its own (null past its end).
   */
  byte[] read(long from, long to, Object key, boolean locked) throws IOException {
    if (locked && channel != null && channel.isOpen() && Objects.equals(channelKey, key)) {
      ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(to - from));
      while (buf.hasRemaining() && channel.read(buf, from + buf.position()) >= 0) {
        // read until full or the end of the file
      }
      return buf.array();
    }
    return StateFiles.readRange(journal, from, to);
  }
}
