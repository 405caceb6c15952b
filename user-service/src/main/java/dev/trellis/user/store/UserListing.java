package dev.trellis.user.store;

import dev.trellis.platform.data.MergedCursor;
import dev.trellis.platform.data.query.PageTokenCodec;
import java.util.Iterator;
import java.util.Optional;

/**
 * One ListUsers page as a lazy, closeable stream in ascending id across all shards. Pull users only as fast as the
 * client takes them: the listing reads each shard in short batches and holds no connection between them, so a
 * client that stops reading costs its buffered users, never a pool connection. After the last user,
 * {@link #nextPageToken()} tells whether another page exists. Close it in a finally (or try-with-resources) to drop
 * the buffered users at once.
 */
public final class UserListing implements Iterator<StoredUser>, AutoCloseable {
  private final MergedCursor<StoredUser> cursor;
  private final PageTokenCodec pageTokens;
  private final String filter;
  private long lastId;

  UserListing(MergedCursor<StoredUser> cursor, PageTokenCodec pageTokens, String filter) {
    this.cursor = cursor;
    this.pageTokens = pageTokens;
    this.filter = filter;
  }

  @Override
  public boolean hasNext() {
    return cursor.hasNext();
  }

  @Override
  public StoredUser next() {
    StoredUser user = cursor.next();
    lastId = user.id();
    return user;
  }

  /**
   * The token of the next page, once {@link #hasNext()} is false: present when the page size cut the stream, absent
   * on the last page.
   */
  public Optional<String> nextPageToken() {
    if (cursor.hasNext()) {
      throw new IllegalStateException("the page is not finished");
    }
    return cursor.moreAfterLimit() ? Optional.of(pageTokens.encode(lastId, filter)) : Optional.empty();
  }

  @Override
  public void close() {
    cursor.close();
  }
}
