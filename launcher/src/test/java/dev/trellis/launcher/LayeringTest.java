package dev.trellis.launcher;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.trellis.platform.context.CallRecordWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of ARCHITECTURE.md, checked on the compiled main code of every module (this module depends on all of
 * them): launcher and bench -> services and edge -> platform -> proto. Services are found by package, not listed: every
 * top-level package under dev.trellis that is not the platform or a tool is a service (user, order, and any to come),
 * and the contracts' generated packages ({@code dev.trellis.user.v1}) belong to proto, which everyone may use.
 */
class LayeringTest {
  /** Top-level packages that are not services. */
  private static final Set<String> NOT_SERVICES =
      Set.of("platform", "proto", "embedded", "testing", "launcher", "bench", "edge", "conformance");
  /** Modules whose classes need not be on this classpath: bench may import anything, and nothing imports it. */
  private static final Set<String> UNCHECKED_MODULES = Set.of("bench");

  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.trellis");

  /** The service a class belongs to (its top-level package under dev.trellis), if it is service code. */
  static Optional<String> serviceOf(JavaClass c) {
    String[] parts = c.getPackageName().split("\\.");
    if (parts.length < 3 || !parts[0].equals("dev") || !parts[1].equals("trellis") || NOT_SERVICES.contains(parts[2])
        || (parts.length > 3 && parts[3].matches("v\\d+"))) {
      return Optional.empty();
    }
    return Optional.of(parts[2]);
  }

  private static final DescribedPredicate<JavaClass> SERVICE_CODE =
      DescribedPredicate.describe("service code", c -> serviceOf(c).isPresent());

  private static DescribedPredicate<JavaClass> otherServiceThan(JavaClass origin) {
    return DescribedPredicate.describe("another service", c -> serviceOf(c).isPresent()
        && !serviceOf(c).equals(serviceOf(origin)));
  }

  @Test
  void theImportSeesEveryModuleWithMainCode() throws IOException {
    Path root = Repository.root();
    for (String module : Repository.modules()) {
      Path sources = root.resolve(module).resolve("src/main/java");
      if (UNCHECKED_MODULES.contains(module) || !Files.isDirectory(sources)) {
        continue;
      }
      Optional<String> someClass;
      try (Stream<Path> files = Files.walk(sources)) {
        someClass = files.filter(f -> f.toString().endsWith(".java")).findFirst()
            .map(f -> sources.relativize(f).toString().replace('/', '.').replaceAll("\\.java$", ""));
      }
      someClass.ifPresent(name -> assertThat(CLASSES.contain(name))
          .as("%s (module %s) is on the layering test's classpath: make it a dependency of the launcher", name,
              module)
          .isTrue());
    }
  }

  @Test
  void thereAreServicesToCheck() {
    Set<String> services = new TreeSet<>();
    CLASSES.forEach(c -> serviceOf(c).ifPresent(services::add));
    assertThat(services).contains("user");
  }

  @Test
  void theServicesImportNoOtherService() {
    classes().that(SERVICE_CODE)
        .should(new com.tngtech.archunit.lang.ArchCondition<JavaClass>("depend on no other service") {
          @Override
          public void check(JavaClass origin, com.tngtech.archunit.lang.ConditionEvents events) {
            DescribedPredicate<JavaClass> other = otherServiceThan(origin);
            origin.getDirectDependenciesFromSelf().stream()
                .filter(d -> other.test(d.getTargetClass()))
                .forEach(d -> events.add(com.tngtech.archunit.lang.SimpleConditionEvent.violated(d,
                    d.getDescription())));
          }
        })
        .allowEmptyShould(false)
        .check(CLASSES);
  }

  @Test
  void thePlatformImportsNoService() {
    noClasses().that().resideInAPackage("dev.trellis.platform..")
        .should().dependOnClassesThat(SERVICE_CODE)
        .check(CLASSES);
  }

  @Test
  void theEdgeImportsNoService() {
    noClasses().that().resideInAPackage("dev.trellis.edge..")
        .should().dependOnClassesThat(SERVICE_CODE)
        .allowEmptyShould(true) // until edge-proxy has code
        .check(CLASSES);
  }

  /** The conformance tool is a client of any deployment: stubs and the platform's client side, no server code. */
  @Test
  void theConformanceToolImportsNoServiceNoEdgeAndNoTestKit() {
    noClasses().that().resideInAPackage("dev.trellis.conformance..")
        .should().dependOnClassesThat(SERVICE_CODE.or(resideInAnyPackage("dev.trellis.edge..",
            "dev.trellis.launcher..", "dev.trellis.embedded..", "dev.trellis.testing..", "dev.trellis.bench..",
            "dev.trellis.platform.server..", "dev.trellis.platform.data..")))
        .check(CLASSES);
  }

  @Test
  void theDataLayerImportsNeitherTheChainNorTheServer() {
    classes().that().resideInAPackage("dev.trellis.platform.data..")
        .should().onlyDependOnClassesThat(resideOutsideOfPackage("dev.trellis..")
            .or(com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage("dev.trellis.platform.data..", "dev.trellis.platform.config..",
                "dev.trellis.platform.error..", "dev.trellis.platform.validation..")))
        .check(CLASSES);
  }

  @Test
  void thePlatformHasNoPackageCycles() {
    slices().matching("dev.trellis.platform.(**)").should().beFreeOfCycles().check(CLASSES);
  }

  @Test
  void runtimeCodeUsesNoTestOrBuildTool() {
    noClasses().that(resideInAPackage("dev.trellis.platform..").or(SERVICE_CODE))
        .should().dependOnClassesThat().resideInAnyPackage("dev.trellis.embedded..", "dev.trellis.testing..",
            "org.junit..", "org.assertj..", "io.zonky..", "org.jooq.codegen..")
        .check(CLASSES);
  }

  @Test
  void nothingImportsTheLauncher() {
    noClasses().that(not(resideInAPackage("dev.trellis.launcher..")))
        .should().dependOnClassesThat().resideInAPackage("dev.trellis.launcher..")
        .check(CLASSES);
  }

  @Test
  void aServicesRulesHaveNoGrpcNoSqlAndNoStore() {
    noClasses().that().resideInAPackage("dev.trellis.*.rules..")
        .should().dependOnClassesThat().resideInAnyPackage("..store..", "..api..", "io.grpc..", "org.jooq..",
            "java.sql..")
        .check(CLASSES);
  }

  @Test
  void onlyTheServerWritesCallRecords() {
    noClasses().that().resideOutsideOfPackage("dev.trellis.platform.server")
        .and().resideOutsideOfPackage("dev.trellis.platform.context")
        .should().callMethod(CallRecordWriter.class, "claim")
        .check(CLASSES);
  }
}
