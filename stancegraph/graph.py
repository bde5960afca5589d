"""Over 500 lines because ``StanceGraph`` is the one notebook-facing class: its
methods (the read model as DataFrames, loading, export, validation) each delegate to a layer,
and its documented API stays in one place.

The notebook-facing API: ``kg = stancegraph.open()`` and friends.

``StanceGraph`` wraps a ``Store`` with the domain: the read model (``stancegraph.read``) as
data frames, atomic validated loading of YAML datasets and RDF files, export and SHACL
validation.
Every user-supplied value reaches SPARQL as a bound variable, never as text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox

from . import queries as named
from . import resources
from .formats import format_for_path, rdf_format
from .ingest.bootstrap import load_ontology, restore_seed, save_seed
from .sparql.bindings import to_ox
from .sparql.rows import solutions_to_rows, triples_to_tuples
from .store.base import Store
from .store.embedded import OxigraphStore
from .terms import ENTITIES_GRAPH, ID, ONTOLOGY_GRAPH, SCHEMES, SPARQL_PREFIXES, source_graph

if TYPE_CHECKING:  # imported where used: rdflib, PyYAML, pydantic and pyshacl cost start-up
    import pandas as pd
    from rdflib import Graph

    from .ingest.compiler import Compiled, Known
    from .validation.reference import ValidationReport


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """A SPARQL result as plain Python: rows of dicts, a boolean, or triples."""

    kind: str  # "select" | "ask" | "graph"
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[str, str, Any]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples)

    def __bool__(self) -> bool:
        return bool(self.boolean) if self.kind == "ask" else len(self) > 0

    def df(self) -> pd.DataFrame:
        """A DataFrame; columns of dates become datetime64 (not Python objects)."""
        import pandas as pd

        if self.kind == "graph":
            return pd.DataFrame(self.triples, columns=["subject", "predicate", "object"])
        if self.kind == "ask":
            return pd.DataFrame({"boolean": [self.boolean]})
        df = pd.DataFrame(self.rows, columns=self.columns)
        for col in df.columns:
            values = df[col].dropna()
            if len(values) and all(isinstance(v, dt.date) for v in values):
                df[col] = pd.to_datetime(df[col], utc=_has_tz(values))
        return df

    def __repr__(self) -> str:
        if self.kind == "ask":
            return f"<Result ask: {self.boolean}>"
        if self.kind == "graph":
            return f"<Result graph: {len(self.triples)} triples; .df() for a DataFrame>"
        cols = ", ".join(self.columns[:8]) + (", …" if len(self.columns) > 8 else "")
        return (
            f"<Result select: {len(self.rows)} rows × {len(self.columns)} columns ({cols}); "
            ".df() for a DataFrame>"
        )

    def _repr_html_(self) -> str:
        """Notebooks show the first rows as a table."""
        import html

        return self.df().head(20).to_html(max_cols=20) + f"<p>{html.escape(repr(self))}</p>"

    def column(self, name: str) -> list[Any]:
        return [r.get(name) for r in self.rows]


def _has_tz(values: Any) -> bool:
    return any(isinstance(v, dt.datetime) and v.tzinfo is not None for v in values)


def _short_ids(df: pd.DataFrame) -> pd.DataFrame:
    """Next to each column of stancegraph IRIs, its short id (``holder`` -> ``holder_id``),
    the id the CLI and the HTTP API use."""
    base = str(ID)
    for col in list(df.columns):
        values = df[col].dropna()
        if len(values) and all(isinstance(v, str) and v.startswith(base) for v in values):
            ids = df[col].map(
                lambda v: v[len(base) :].split("/", 1)[-1] if isinstance(v, str) else v
            )
            df.insert(df.columns.get_loc(col) + 1, f"{col}_id", ids)
    return df


def _frame(rows: tuple[list[str], list[dict[str, Any]]]) -> pd.DataFrame:
    """Columns and rows of the read model (``read.frames``) as a query result's DataFrame,
    with short-id columns."""
    return _short_ids(Result("select", *rows).df())


def to_result(raw: Any) -> Result:
    if isinstance(raw, ox.QueryBoolean):
        return Result("ask", boolean=bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        cols, rows = solutions_to_rows(raw)
        return Result("select", cols, rows)
    triples = triples_to_tuples(raw)
    return Result("graph", triples=triples)


@dataclass
class LoadReport:
    """What a load wrote."""

    files: list[str]
    graphs: list[str]
    triples: int
    stances: int
    validation: ValidationReport | None

    def __str__(self) -> str:
        v = (
            ""
            if self.validation is None
            else f"; SHACL {('conforms' if self.validation.conforms else 'FAILED')}"
        )
        w = (
            f" with {len(self.validation.warnings)} warning(s)"
            if self.validation and self.validation.warnings
            else ""
        )
        return (
            f"loaded {len(self.files)} file(s): {self.triples} triples, {self.stances} stances "
            f"into {len(self.graphs)} graph(s){v}{w}"
        )

    def __repr__(self) -> str:
        return f"<LoadReport: {self}>"


# --------------------------------------------------------------------------- SPARQL of known()

_Q_KNOWN = """
SELECT DISTINCT ?s ?t ?base WHERE { ?s a ?t . FILTER(STRSTARTS(STR(?s), STR(?base))) }
"""


_Q_STANCE_SOURCES = """
SELECT ?s ?src WHERE { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?src }
"""


# --------------------------------------------------------------------------- the graph


class StanceGraph:
    """A negotiation-stance knowledge graph over any ``Store``."""

    def __init__(self, store: Store):
        self.store = store
        self._writer: Any = None

    @property
    def writer(self) -> Any:
        """The store's one validated write path (``stancegraph.writes.Writer``); the HTTP
        service replaces it with one that evaluates client text in sandboxed workers."""
        if self._writer is None:
            from .writes import Writer

            self._writer = Writer(self.store)
        return self._writer

    @writer.setter
    def writer(self, value: Any) -> None:
        self._writer = value

    def __repr__(self) -> str:
        path = getattr(self.store, "path", None)
        settings = getattr(self.store, "settings", None)
        if settings is not None and hasattr(settings, "query_url"):
            from .store.remote.settings import redact

            where = f"remote store {redact(settings.query_url)}"
        else:
            where = f"store {path}" if path else "in memory"
        return f"<StanceGraph {where}: {len(self.store)} quads>"

    @property
    def analytics(self) -> Any:
        """Network analytics (``stancegraph.analytics.Analytics``), shared per graph."""
        from .analytics import Analytics

        return Analytics.of(self)

    # -- querying
    def query(self, sparql: str, *, union: bool = True, **bindings: Any) -> Result:
        """Run SPARQL; keyword arguments are bound as variables (safe from injection).

        The default graph is the union of all named graphs unless ``union=False``. The
        standard prefixes (``stancegraph prefixes``) are predeclared; a syntax error says
        where and what was expected.
        """
        from .sparql.text import explain, with_prefixes

        try:
            raw = self.store.query(
                with_prefixes(sparql), substitutions=bindings, union_default_graph=union
            )
        except SyntaxError as exc:
            raise SyntaxError(explain(sparql, str(exc))) from None
        return to_result(raw)

    def select(self, sparql: str, **bindings: Any) -> list[dict[str, Any]]:
        return self.query(sparql, **bindings).rows

    def example(self, name: str, **params: Any) -> Result:
        """Run a named example query (``data/queries/<name>.rq``) with parameters: short ids
        or IRIs where the parameter is a resource (unknown ones raise ``UnknownValue``)."""
        q = named.get(name)
        return self.query(q.sparql, **self.example_bindings(name, params))

    def example_bindings(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """A named query's parameters as the engine binds them (see ``ids.bind_param``)."""
        from .ids import bind_param

        q = named.get(name)
        q.bindings(params)  # unknown parameter names are an error
        defaults = {p.name: p.default for p in q.params}
        given = {k: bind_param(self, k, defaults[k], v) for k, v in params.items()}
        return q.bindings(given)

    @staticmethod
    def examples() -> dict[str, named.NamedQuery]:
        return named.named_queries()

    # -- positions over time and source disagreement (model v2)
    def position_history(
        self, actor: str, proposition: str | None = None, *, expectations: bool = False
    ) -> pd.DataFrame:
        """An actor's stances on a proposition (or on every target) over time, oldest
        first, as a DataFrame: date, polarity, weight, source, which stance it supersedes
        and whether it is still ``current``. ``analytics.history(...)`` gives the changes
        too."""
        return self.analytics.history(actor, proposition, expectations=expectations).table()

    def compare_sources(self, a: str, b: str) -> Any:
        """Where two sources attribute different stances, guarantor lists or conditions to
        the same actor at the same occasion (``analytics.sources.SourceComparison``)."""
        return self.analytics.sources(a, b)

    # -- domain views (DataFrames): the read model's rows (``read.frames``), typed as a
    # query result's are (``Result.df``), with short-id columns
    def actors(self, *, type: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Actors; ``type``: only these types (``state-actor``, ``person``…, or StateActor)."""
        from .read import frames, kebab

        df = Result("select", *frames.actor_rows(self)).df()
        if type is not None:
            wanted = {kebab(t) for t in ([type] if isinstance(type, str) else type)}
            known = sorted({kebab(t) for t in df["type"]})
            unknown = sorted(wanted - set(known))
            if unknown:
                from .ids import UnknownValue, suggest

                raise UnknownValue(
                    "type", unknown[0], "actor type", suggest(unknown[0], known), known
                )
            df = df[df["type"].map(kebab).isin(wanted)].reset_index(drop=True)
        return _short_ids(df)

    def propositions(self) -> pd.DataFrame:
        from .read import frames

        return _frame(frames.proposition_rows(self))

    def stances(
        self,
        *,
        holder: str | None = None,
        speaker: str | None = None,
        target: str | None = None,
        polarity: str | None = None,
        speech_act: str | None = None,
        modality: str | None = None,
        source: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> pd.DataFrame:
        """Stances filtered by any combination of fields (short ids, keys or full IRIs).

        A value that names nothing raises ``stancegraph.ids.UnknownValue`` (a ValueError)
        with suggestions, as the CLI and the HTTP API do.
        """
        from . import ids
        from .read import StanceFilter, frames

        def rid(kind: str, field: str, v: str | None) -> str | None:
            return None if v is None else ids.resolve_id(self, kind, v, field)

        def key(scheme: str, field: str, v: str | None) -> str | None:
            return None if v is None else ids.resolve_key(self, scheme, v, field)

        flt = StanceFilter(
            holder=rid("actor", "holder", holder),
            speaker=rid("actor", "speaker", speaker),
            target=None if target is None else ids.resolve_target(self, target),
            polarity=key("polarity", "polarity", polarity),
            speech_act=key("speech-act", "speech_act", speech_act),
            modality=key("modality", "modality", modality),
            source=rid("source", "source", source),
            since=since,
            until=until,
        )
        return _frame(frames.stance_rows(self, flt))

    def guarantor_nominations(
        self,
        *,
        nominator: str | Sequence[str] | None = None,
        nominee: str | Sequence[str] | None = None,
        modality: str | Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Guarantor nominations; each filter takes one value or several (any of them)."""
        from . import ids
        from .read import frames

        def many(v: str | Sequence[str] | None) -> list[str] | None:
            return None if v is None else [v] if isinstance(v, str) else list(v)

        def actors(field: str, v: str | Sequence[str] | None) -> list[str] | None:
            values = many(v)
            return None if values is None else ids.resolve_ids(self, "actor", values, field)

        keys = many(modality)
        rows = frames.nomination_rows(
            self,
            nominator=actors("nominator", nominator),
            nominee=actors("nominee", nominee),
            modality=None
            if keys is None
            else [ids.resolve_key(self, "modality", k, "modality") for k in keys],
        )
        return _frame(rows)

    def conditions(self) -> pd.DataFrame:
        from .read import frames

        return _frame(frames.condition_rows(self))

    def sources(self) -> pd.DataFrame:
        from .read import frames

        return _frame(frames.source_rows(self))

    # -- info / export
    def info(self) -> dict[str, Any]:
        counts = self.query(
            SPARQL_PREFIXES
            + """SELECT
              (COUNT(DISTINCT ?a) AS ?actors) (COUNT(DISTINCT ?p) AS ?propositions)
              (COUNT(DISTINCT ?s) AS ?stances) (COUNT(DISTINCT ?n) AS ?nominations)
              (COUNT(DISTINCT ?c) AS ?conditions) (COUNT(DISTINCT ?src) AS ?sources) WHERE {
              { ?a a/rdfs:subClassOf* sg:Actor } UNION { ?p a sg:Proposition } UNION
              { ?s a sg:Stance } UNION { ?n a sg:GuarantorNomination } UNION
              { ?c a sg:Condition } UNION { ?src schema:datePublished ?d } }"""
        ).rows[0]
        return {"triples": len(self.store), "graphs": self.store.named_graphs(), **counts}

    def export(self, fmt: str = "trig", graph: str | None = None) -> bytes:
        """Serialise the whole dataset (or one named graph): turtle, trig, nquads, nt, jsonld,
        rdfxml. Turtle and TriG use the standard prefixes and group triples by subject; an
        unknown ``graph`` is a ValueError rather than an empty file."""
        if graph is not None and graph not in self.store.named_graphs():
            from .sparql.text import compact

            known = ", ".join(compact(g) for g in sorted(self.store.named_graphs()))
            raise ValueError(f"no graph <{graph}> in the store (graphs: {known or 'none'})")
        target = rdf_format(fmt)
        data = self.store.dump(target, graph)
        if target not in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            return data
        from .terms import QUERY_PREFIXES

        # Re-serialised with prefixes; the dump lists each subject's triples together.
        parsed = ox.parse(data, format=target)
        return cast(bytes, ox.serialize(parsed, format=target, prefixes=QUERY_PREFIXES))

    def rdflib_dataset(self) -> Any:
        """The data as an ``rdflib.Dataset`` for the rdflib ecosystem (copies the data)."""
        from rdflib import Dataset

        ds = Dataset()
        ds.parse(data=self.export("nquads"), format="nquads")
        return ds

    # -- writing
    def known(self) -> Known:
        """Ids and vocabulary keys already in the store, for reference checks."""
        from rdflib import Graph

        from .ingest.compiler import Known, vocabulary_keys
        from .validation.reference import ontology_graph

        k = Known()
        for row in self.select(_Q_KNOWN, base=str(ID)):
            rest = row["s"][len(str(ID)) :]
            kind, _, slug = rest.partition("/")
            if "/" in slug:
                continue
            k.add(kind, slug)
            if kind == "actor" and row["t"].startswith("https://w3id.org/stancegraph/ns#"):
                k.actor_types.setdefault(slug, row["t"].rsplit("#", 1)[-1])
        # A stance belongs to the source it was derived from (its graph is that source's).
        # (Asked without rdf:type and without GRAPH ?g, filtered here: on Virtuoso 7 a
        # type pattern here made the next stance queries time out, through its cached
        # cardinality samples.)
        minted, sources = f"{ID}stance/", f"{ID}source/"
        for row in self.select(_Q_STANCE_SOURCES):
            s, src = row["s"], row["src"]
            if isinstance(s, str) and s.startswith(minted) and str(src).startswith(sources):
                k.stance_graphs.setdefault(s[len(minted) :], source_graph(str(src)[len(sources) :]))
        vocab = Graph()
        vocab.parse(data=self.store.dump(ox.RdfFormat.N_TRIPLES, str(ONTOLOGY_GRAPH)), format="nt")
        vocab += ontology_graph()
        for scheme, keys in vocabulary_keys(vocab).items():
            k.concepts.setdefault(scheme, set()).update(keys)
        for row in self.select(SPARQL_PREFIXES + "SELECT ?c WHERE { ?c a skos:Concept }"):
            for scheme, ns in SCHEMES.items():
                if row["c"].startswith(str(ns)):
                    k.concepts.setdefault(scheme, set()).add(row["c"][len(str(ns)) :])
        # Actor types for records in the store (sg:state must point at a StateActor).
        return k

    def compile(self, paths: Sequence[str | Path]) -> Compiled:
        from .ingest.compiler import compile_files

        return compile_files(paths, self.known())

    def validate_compiled(self, compiled: Compiled) -> ValidationReport:
        """SHACL-validate a compiled batch with a one-hop context from the store."""
        from rdflib import Graph, URIRef

        from .validation.reference import ontology_graph, validate

        data = Graph()
        for _s, _p, _o, _g in compiled.quads():
            data.add((_s, _p, _o))
        data += ontology_graph()
        subjects = {str(s) for s in data.subjects() if isinstance(s, URIRef)}
        refs = {
            str(o)
            for o in data.objects()
            if isinstance(o, URIRef) and str(o).startswith(str(ID)) and str(o) not in subjects
        }
        if refs:
            data += self._context(refs)
        focus = {
            str(s)
            for _s, _p, _o, _g in compiled.quads()
            for s in [_s]
            if str(s).startswith(str(ID))
        }
        report = validate(data, focus)
        return _located(report, compiled.locations)

    def _context(self, iris: set[str]) -> Graph:
        """Triples about ``iris`` (and their evidence sources) already in the store."""
        from rdflib import Graph

        g = Graph()
        values = " ".join(f"<{i}>" for i in sorted(iris))
        raw = self.store.query(
            SPARQL_PREFIXES
            + f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
        )
        nt = ox.serialize(list(raw), format=ox.RdfFormat.N_TRIPLES)
        if nt:
            g.parse(data=nt, format="nt")
        return g

    def load(self, paths: Sequence[str | Path], *, validate_shapes: bool = True) -> LoadReport:
        """Compile, validate and write YAML datasets atomically: all files or nothing.

        A source file replaces its source's named graph; entity records replace their own
        triples in the entities graph. Loading the same files twice changes nothing.
        """
        return self._write(self.compile(paths), validate_shapes)

    def load_texts(self, texts: dict[str, str], *, validate_shapes: bool = True) -> LoadReport:
        from .ingest.compiler import compile_texts

        return self._write(compile_texts(texts, self.known()), validate_shapes)

    def _write(self, compiled: Compiled, validate_shapes: bool) -> LoadReport:
        if not validate_shapes:
            buf = io.StringIO()
            for s, p, o, g in compiled.quads():
                buf.write(f"{s.n3()} {p.n3()} {o.n3()} {g.n3()} .\n")
            self.store.replace(
                drop_graphs=compiled.source_graphs,
                drop_subjects={str(ENTITIES_GRAPH): compiled.entity_subjects},
                insert_nquads=buf.getvalue(),
            )
            return LoadReport(
                compiled.files, sorted(compiled.graphs), len(compiled), compiled.stance_count, None
            )
        outcome = self.writer.apply(self._change(compiled))
        return LoadReport(
            compiled.files,
            sorted(compiled.graphs),
            len(compiled),
            compiled.stance_count,
            outcome.report,
        )

    def _change(self, compiled: Compiled) -> Any:
        """A compiled batch as a change: its source graphs and its entity records' triples
        are replaced (so loading the same files twice changes nothing)."""
        from .change import Change

        inserts = {
            ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(str(g)))  # type: ignore[arg-type]
            for s, p, o, g in compiled.quads()
        }
        deletes: set[ox.Quad] = set()
        for g in compiled.source_graphs:
            deletes.update(self.store.graph_quads(g))
        entities = ox.NamedNode(str(ENTITIES_GRAPH))
        for subject in compiled.entity_subjects:
            deletes.update(
                q
                for q in self.store.quads_matching(ox.NamedNode(subject), None, None)
                if q.graph_name == entities
            )
        existing = set(self.store.named_graphs())
        created = {g for g in compiled.source_graphs if g not in existing}
        change = Change(deletes=deletes - inserts, inserts=inserts - deletes, created=created)
        change.new_bnodes = {
            t.value for q in inserts for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)
        }
        return change

    def load_rdf(
        self, path: str | Path, graph: str | None = None, *, validate_shapes: bool = True
    ) -> ValidationReport | None:
        """Load an RDF file (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML).

        With ``validate_shapes`` the store must conform to the SHACL shapes afterwards, or
        nothing is kept (:class:`ValidationFailed`); see :mod:`stancegraph.ingest.rdfload`.
        """
        if validate_shapes:
            from .ingest.rdfload import load_validated

            return load_validated(self.store, path, graph)
        self.store.load(Path(path).read_bytes(), format_for_path(path), graph)
        return None

    def validate(self) -> ValidationReport:
        """SHACL-validate everything in the store, as one union graph."""
        from rdflib import Graph

        from .validation.reference import ontology_graph, validate

        data = Graph()
        data.parse(data=self.store.dump(ox.RdfFormat.N_TRIPLES), format="nt")
        data += ontology_graph()
        return validate(data)


def _located(report: ValidationReport, locations: dict[str, str]) -> ValidationReport:
    """The report with each finding's record file:line (nested nodes: their record's)."""
    import dataclasses

    def where(iri: str) -> str | None:
        # ``…/stance/x/condition/1`` belongs to the record ``…/stance/x``.
        while iri.startswith(str(ID)) and iri not in locations:
            iri = iri.rpartition("/")[0]
        return locations.get(iri)

    def locate(fs: list[Any]) -> list[Any]:
        return [dataclasses.replace(f, location=where(f.focus)) for f in fs]

    return dataclasses.replace(
        report, violations=locate(report.violations), warnings=locate(report.warnings)
    )


# --------------------------------------------------------------------------- opening


def open(
    path: str | Path | None = None,
    *,
    store: str | Path | Store | None = None,
    seed: bool | None = None,
    files: Sequence[str | Path] = (),
    read_only: bool = False,
    update_url: str | None = None,
    gsp_url: str | None = None,
    config: str | Path | None = None,
) -> StanceGraph:
    """Open a stance graph.

    - ``open()``: the seed dataset, in memory.
    - ``open(path)``: a persistent store on disk (created with the ontology if new;
      ``seed=True`` also loads the seed dataset into a new store).
    - ``open(store="sparql+http://host:port/path")``: a remote SPARQL 1.1 store (the query
      URL; ``update_url``/``gsp_url`` when they cannot be guessed; see docs/remote-store.md).
      ``path`` accepts such a spec too, and ``store`` any ``Store`` object.
    - ``open(files=[...])``: an in-memory graph of those RDF or YAML files;
      ``seed=True`` compiles the seed's files together with them (as ``--seed`` does in
      ``load``, ``validate`` and ``serve``).
    """
    from .store.open import is_remote, open_store

    spec = store if store is not None else path
    if isinstance(spec, list | tuple):
        raise TypeError(
            f"open() takes one store path or URL, not a list ({spec!r}); "
            "for files use open(files=[...])"
        )
    if spec is not None and not isinstance(spec, str | Path):
        backend: Store = spec  # a Store object
    elif is_remote(spec) or update_url or gsp_url:
        backend = open_store(spec, update_url, gsp_url, config=config, read_only=read_only)
    else:
        backend = OxigraphStore(spec, read_only=read_only)
    kg = StanceGraph(backend)
    fresh = len(backend) == 0
    if isinstance(files, str | Path):
        raise TypeError(
            f"files must be a list of paths, not {files!r} (open(files=[...]); "
            "a single string is a store path: open(path))"
        )
    if seed is None:
        seed = spec is None and not files
    elif seed and files:  # one rule everywhere: the seed's files join yours, compiled together
        files = [*resources.seed_files(), *files]
        seed = False
    cacheable = (
        seed and fresh and not read_only and not files and isinstance(backend, OxigraphStore)
    )
    if cacheable and restore_seed(backend):
        return kg
    if fresh and not read_only:
        load_ontology(backend)
    if files:
        yaml_files = [f for f in files if Path(f).suffix.lower() in (".yaml", ".yml")]
        for f in files:
            if f not in yaml_files:
                kg.load_rdf(f, validate_shapes=False)
        if yaml_files:
            kg.load(yaml_files)
    if seed and fresh and not read_only:
        kg.load(resources.seed_files(), validate_shapes=False)
        if cacheable:
            save_seed(backend)
    return kg
