// Loads an ontology with the OWL API (as Protégé does) and prints a JSON report on stdout.
//
//   java OwlApiCheck FILE [IMPORT_DIR ...]
//
// Report: ontology_iri, version_iri, axioms, unparsed_triples, unparsed (first 20),
// dl_violations, violations (first 50), declared_individuals, guessed_declarations.
// Ontologies imported by FILE are looked up in FILE's directory and in each IMPORT_DIR.
// Exit 0 when the file loaded (whatever it contains), 2 with one line on stderr when it did not.

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.model.AxiomType;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyID;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.util.AutoIRIMapper;

public final class OwlApiCheck {
    private static final int MAX_UNPARSED = 20;
    private static final int MAX_VIOLATIONS = 50;

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: java OwlApiCheck FILE [IMPORT_DIR ...]");
            System.exit(2);
        }
        File file = new File(args[0]);
        OWLOntologyManager manager;
        OWLOntology ont;
        try {
            manager = OWLManager.createOWLOntologyManager();
            List<File> dirs = new ArrayList<>();
            dirs.add(file.getAbsoluteFile().getParentFile());
            for (int i = 1; i < args.length; i++) {
                dirs.add(new File(args[i]));
            }
            for (File dir : dirs) {
                manager.getIRIMappers().add(new AutoIRIMapper(dir, false));
            }
            ont = manager.loadOntologyFromOntologyDocument(file);
        } catch (Throwable e) {
            if (System.getenv("OWLAPI_CHECK_DEBUG") != null) {
                e.printStackTrace();
            }
            String msg = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").trim();
            if (msg.length() > 500) {
                msg = msg.substring(0, 500) + "...";
            }
            System.err.println("cannot load " + file + ": " + e.getClass().getSimpleName() + ": " + msg);
            System.exit(2);
            return;
        }

        List<String> unparsed = new ArrayList<>();
        long guessed = 0;
        OWLDocumentFormat format = manager.getOntologyFormat(ont);
        if (format != null && format.getOntologyLoaderMetaData().isPresent()) {
            OWLOntologyLoaderMetaData meta = format.getOntologyLoaderMetaData().get();
            unparsed = meta.getUnparsedTriples().map(Object::toString).sorted().collect(Collectors.toList());
            guessed = meta.getGuessedDeclarations().size();
        }
        List<String> violations;
        try {
            violations = new OWL2DLProfile().checkOntology(ont).getViolations().stream()
                .map(OWLProfileViolation::toString).map(s -> s.replaceAll("\\s+", " ").trim())
                .sorted().collect(Collectors.toList());
        } catch (RuntimeException e) {
            // The profile checker itself can fail on malformed axioms (an empty property
            // chain, say): report that as a violation, since the file is not clean OWL 2 DL.
            violations = new ArrayList<>();
            violations.add("OWL 2 DL profile check failed: " + e);
        }
        long individuals = ont.axioms(AxiomType.DECLARATION)
            .filter(ax -> ax.getEntity().isOWLNamedIndividual()).count();
        OWLOntologyID id = ont.getOntologyID();

        StringBuilder out = new StringBuilder("{");
        field(out, "ontology_iri", id.getOntologyIRI().map(iri -> str(iri.toString())).orElse("null"));
        field(out, "version_iri", id.getVersionIRI().map(iri -> str(iri.toString())).orElse("null"));
        field(out, "format", format == null ? "null" : str(format.getKey()));
        field(out, "axioms", String.valueOf(ont.getAxiomCount()));
        field(out, "unparsed_triples", String.valueOf(unparsed.size()));
        field(out, "unparsed", list(unparsed, MAX_UNPARSED));
        field(out, "dl_violations", String.valueOf(violations.size()));
        field(out, "violations", list(violations, MAX_VIOLATIONS));
        field(out, "guessed_declarations", String.valueOf(guessed));
        field(out, "declared_individuals", String.valueOf(individuals));
        out.setLength(out.length() - 2);
        System.out.println(out.append("}"));
    }

    private static void field(StringBuilder out, String name, String json) {
        out.append(str(name)).append(": ").append(json).append(", ");
    }

    private static String list(List<String> items, int max) {
        return items.stream().limit(max).map(OwlApiCheck::str).collect(Collectors.joining(", ", "[", "]"));
    }

    /** A JSON string literal, ASCII only (so the platform's default charset cannot garble it). */
    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
