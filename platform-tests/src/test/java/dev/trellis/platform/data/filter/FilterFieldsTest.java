package dev.trellis.platform.data.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.error.InvalidArgumentException;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.conf.ParamType;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.Test;

class FilterFieldsTest {
  private static final Field<String> NAME = DSL.field(DSL.name("name"), SQLDataType.CLOB);
  private static final Field<Long> SIZE = DSL.field(DSL.name("size"), SQLDataType.BIGINT);
  private final FilterFields fields = FilterFields.builder()
      .text("name", Operator.HAS, NAME::contains)
      .text("name", Operator.EQUALS, NAME::eq)
      .number("size", Operator.GREATER_OR_EQUAL, SIZE::ge)
      .build();

  @Test
  void valuesBecomeBindValuesNeverSqlText() {
    Condition c = fields.toCondition(FilterParser.parse("name : \"x' OR 1=1 --\" AND size >= 3"));
    String sql = DSL.using(SQLDialect.POSTGRES).render(c);
    assertThat(sql).doesNotContain("OR 1=1").contains("?");
    assertThat(DSL.using(SQLDialect.POSTGRES).extractBindValues(c)).contains("x' OR 1=1 --", 3L);
    assertThat(DSL.using(SQLDialect.POSTGRES).renderContext().paramType(ParamType.INDEXED).render(c))
        .doesNotContain("1=1");
  }

  @Test
  void emptyFilterIsNoCondition() {
    assertThat(fields.toCondition(Filter.EMPTY)).isEqualTo(DSL.noCondition());
  }

  @Test
  void unknownFieldNamesTheFilterableOnes() {
    assertViolation("password = \"x\"", "unknown field 'password'; filterable fields are name, size");
  }

  @Test
  void operatorAFieldDoesNotTakeIsRefused() {
    assertViolation("size <= 3", "field 'size' does not support '<='; use >=");
    assertViolation("name != \"a\"", "field 'name' does not support '!='; use = :");
  }

  @Test
  void valueOfTheWrongTypeIsRefused() {
    assertViolation("size >= \"3\"", "field 'size' takes a whole number, got \"3\"");
    assertViolation("name = 3", "field 'name' takes a quoted string, got 3");
  }

  private void assertViolation(String filter, String description) {
    assertThatThrownBy(() -> fields.toCondition(FilterParser.parse(filter)))
        .isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
          assertThat(e.violations().getFirst().field()).isEqualTo("filter");
          assertThat(e.violations().getFirst().description()).isEqualTo(description);
        });
  }
}
