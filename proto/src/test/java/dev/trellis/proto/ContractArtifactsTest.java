package dev.trellis.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The files derived from the contracts that live in git (the chart's contracts.json, README's access table) are
 * what the current contracts give: edit proto/, run ./trellis contracts, commit both.
 */
class ContractArtifactsTest {
  /** Surefire runs in proto/; the files live at the repository root. */
  private static final Path ROOT = Path.of("..");
  private static final String STALE = " differs from the contracts: run " + ContractArtifacts.REFRESH_COMMAND
      + " and commit the result";

  private final MethodAccessTable table = MethodAccessTable.load();

  @Test
  void theChartCarriesTheBuildsDescriptorSetAndDeclarations() throws IOException {
    String expected = ContractArtifacts.contractsJson(ContractArtifacts.packagedDescriptorSet());
    String shipped = Files.readString(ROOT.resolve(ContractArtifacts.CONTRACTS_JSON));
    assertThat(shipped).as(ContractArtifacts.CONTRACTS_JSON + STALE).isEqualTo(expected);
  }

  @Test
  void theReadmeTableIsTheDeclarations() throws IOException {
    String readme = Files.readString(ROOT.resolve(ContractArtifacts.README));
    String expected = ContractArtifacts.withAccessTable(readme, ContractArtifacts.accessTableMarkdown(table));
    assertThat(readme).as(ContractArtifacts.README + "'s access table" + STALE).isEqualTo(expected);
    assertThat(readme).contains("| `UserService.GetUser` | user, admin | `id` | order-service |");
  }

  @Test
  void theShippedDescriptorSetBuildsEveryServiceWithImportsFirst() throws IOException {
    String json = Files.readString(ROOT.resolve(ContractArtifacts.CONTRACTS_JSON));
    Matcher base64 = Pattern.compile("\"descriptorSet\": \"([A-Za-z0-9+/=]+)\"").matcher(json);
    assertThat(base64.find()).isTrue();
    byte[] bytes = Base64.getDecoder().decode(base64.group(1));
    assertThat(TrellisDescriptors.fromBytes(bytes).services()).hasSize(3);
    // Envoy builds the files in set order: each must come after its imports.
    Set<String> seen = new HashSet<>();
    for (FileDescriptorProto file : FileDescriptorSet.parseFrom(bytes).getFileList()) {
      assertThat(seen).as(file.getName()).containsAll(file.getDependencyList());
      seen.add(file.getName());
    }
    assertThat(seen).contains("google/api/http.proto", "trellis/access/v1/access.proto");
    assertThat(json).contains("\"name\": \"TrackOrders\"").contains("\"streaming\": \"bidi\"}");
  }

  @Test
  void theOrderIsFixedWhateverOrderProtocWasGiven() {
    FileDescriptorSet built = TrellisDescriptors.load().fileDescriptorSet();
    FileDescriptorSet reversed = FileDescriptorSet.newBuilder()
        .addAllFile(built.getFileList().reversed()).build();
    assertThat(ContractArtifacts.inDependencyOrder(reversed)).isEqualTo(ContractArtifacts.inDependencyOrder(built));
  }
}
