package dev.trellis.user.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.validation.StorableText;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing (jqwik) of request validation: any email, name, roles, mask paths and ids give a valid
 * request whose text the database can store, or one bounded INVALID_ARGUMENT; no other exception escapes. Bounded
 * by tries.
 */
class UserValidationFuzzTest {
  @Property(tries = 1500)
  void anyNewUserIsValidAndStorableOrABoundedInvalidArgument(@ForAll("texts") String email,
      @ForAll("texts") String name, @ForAll("lists") List<String> roles) {
    try {
      NewUser user = UserValidation.newUser(email, name, roles);
      assertThat(StorableText.problem(user.email())).isEmpty();
      assertThat(StorableText.problem(user.name())).isEmpty();
      assertThat(UserValidation.KNOWN_ROLES).containsAll(user.roles());
    } catch (InvalidArgumentException e) {
      assertBounded(e);
    }
  }

  @Property(tries = 1500)
  void anyUpdateIsValidOrABoundedInvalidArgument(@ForAll long id, @ForAll("lists") List<String> paths,
      @ForAll("texts") String email, @ForAll("texts") String name, @ForAll("lists") List<String> roles) {
    try {
      UserChanges changes = UserValidation.changes(id, paths, email, name, roles);
      changes.email().ifPresent(e -> assertThat(StorableText.problem(e)).isEmpty());
      changes.name().ifPresent(n -> assertThat(StorableText.problem(n)).isEmpty());
    } catch (InvalidArgumentException e) {
      assertBounded(e);
    }
  }

  @Property(tries = 500)
  void anyIdsAreValidOrABoundedInvalidArgument(@ForAll("ids") List<Long> ids) {
    try {
      UserValidation.ids("user_ids", ids);
      assertThat(ids).allMatch(id -> id > 0).hasSizeLessThanOrEqualTo(UserValidation.MAX_SUBSCRIBED_IDS);
    } catch (InvalidArgumentException e) {
      assertBounded(e);
    }
  }

  @Provide
  Arbitrary<String> texts() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(300),
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(10).map(s -> s + "@example.com"),
        Arbitraries.of("", " ", "a\u0000b@example.com", "\ud800@example.com", "Zo\u00eb \ud83e\uddea", "x".repeat(255),
            "name", "email", "roles", "*", "id", "created_at"));
  }

  @Provide
  Arbitrary<List<String>> lists() {
    return Arbitraries.oneOf(
        texts().list().ofMaxSize(20),
        Arbitraries.of("user", "admin", "root", "name", "email", "*", "id").list().ofMaxSize(40));
  }

  @Provide
  Arbitrary<List<Long>> ids() {
    return Arbitraries.longs().list().ofMaxSize(1200);
  }

  private static void assertBounded(InvalidArgumentException e) {
    var status = StatusMapper.toStatusException(e);
    assertThat(status.getStatus().getDescription().getBytes(StandardCharsets.UTF_8))
        .hasSizeLessThanOrEqualTo(StatusMapper.MAX_MESSAGE_BYTES);
    assertThat(StatusProto.fromThrowable(status).getSerializedSize())
        .isLessThanOrEqualTo(StatusMapper.MAX_DETAILS_BYTES);
  }
}
