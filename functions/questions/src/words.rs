//! Every hand-listed word list of the crate: the words the analysis splits,
//! classifies and cleans the lecture's text by, and the words the rule-based
//! generator judges subjects, answers and statements by. Data only, the
//! lowest layer: nothing of the crate is used here.
//!
//! A list's words change which sentences and terms questions are built on,
//! so each says what it is for; the heading of its group names the modules
//! that read it.

// Function words, references and abbreviations (analysis::text,
// analysis::terms).

/// Function words and the commonest verbs: never a key term on their own, and
/// the words after which a noun phrase starts.
pub const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "although", "always", "am", "among", "an",
    "and", "another", "any", "are", "around", "as", "at", "be", "became", "because", "become", "becomes", "been",
    "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could", "did", "do", "does",
    "doing", "done", "down", "due", "during", "each", "either", "else", "enough", "etc", "even", "ever", "every",
    "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his",
    "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least", "less", "like", "may",
    "might", "more", "most", "much", "must", "my", "neither", "no", "nor", "not", "now", "of", "off", "often", "on",
    "once", "one", "only", "onto", "or", "other", "others", "otherwise", "our", "ours", "out", "over", "own", "per",
    "perhaps", "quite", "rather", "same", "several", "shall", "she", "should", "since", "so", "some", "such", "than",
    "that", "the", "their", "theirs", "them", "then", "there", "therefore", "these", "they", "this", "those",
    "though", "through", "thus", "to", "too", "toward", "towards", "under", "unless", "until", "up", "upon", "us",
    "usually", "very", "via", "was", "we", "well", "were", "what", "when", "where", "whereas", "whether", "which",
    "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your",
    "yours", "called", "known", "named", "termed", "used", "using", "use", "uses", "make", "makes", "made", "many",
    "new", "first", "second", "third", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "given", "gives", "give", "take", "takes", "took", "get", "gets", "got", "see", "seen", "shown", "show", "shows",
    "include", "includes", "including", "example", "examples", "e.g", "i.e", "let", "lets", "called", "refers",
    "referred", "means", "mean", "meant", "consists", "consist", "contains", "contain", "describes", "describe",
];

/// Words that are never good answers on their own.
pub const GENERIC: &[&str] = &[
    "lecture", "chapter", "section", "figure", "table", "page", "slide", "way", "ways", "thing", "things", "part",
    "parts", "kind", "kinds", "type", "types", "number", "numbers", "case", "cases", "fact", "facts", "result",
    "results", "time", "times", "point", "points", "form", "forms", "order", "end", "lot", "rest", "course",
    "today", "student", "students", "class", "question", "questions", "answer", "answers", "idea", "ideas",
    "important", "different", "following", "various", "general", "specific", "main", "major", "large", "small",
    "high", "low", "long", "short", "good", "great", "possible", "certain", "able", "known", "common", "year",
    "years", "day", "days", "people", "person", "term", "terms", "word", "words", "process", "system", "systems",
    "level", "levels", "amount", "something", "anything", "everything", "nothing", "someone", "way", "called",
    "summary", "introduction", "conclusion", "definition", "note", "notes", "overview", "topic", "topics",
];

/// Words before a number that make it a reference, not a fact.
pub const REFERENCE_WORDS: &[&str] = &[
    "figure", "fig", "table", "chapter", "section", "page", "pages", "lecture", "slide", "eq", "equation", "step",
    "part", "unit", "week", "question", "exercise", "appendix", "item", "line", "lines", "module", "lesson", "pp",
    "p", "no", "ref", "reference", "example", "session", "volume", "vol", "version",
];

/// Abbreviations whose period ends no sentence (`e.g.`, `Fig.`, `Prof.`).
pub(crate) const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "prof", "fig", "no", "approx", "al", "st", "jr", "sr",
    "inc", "ltd", "co", "cf", "eq", "vol", "pp", "ca", "resp", "dept", "univ", "est", "min", "max", "sec",
];

/// Words before a noun phrase that make it a noun (`a chemical reaction`),
/// for the key terms.
pub(crate) const DETERMINERS: &[&str] =
    &["the", "a", "an", "this", "that", "these", "those", "each", "every", "its", "their", "our", "of", "no", "his", "her"];

/// Lower-case words inside a name (`Ludwig van Beethoven`, `Tour de France`).
pub(crate) const CONNECTORS: &[&str] = &["of", "de", "la", "von", "van", "der", "du", "del", "da"];

/// Verbs of a definition (`X is a …`, `X refers to …`), for the defined terms.
pub(crate) const COPULAS: &[&str] = &["is", "are", "was", "were", "refers", "means"];

/// Words after a copula that start a definition's body (`is a`, `is called`).
pub(crate) const AFTER_COPULA: &[&str] = &["a", "an", "the", "one", "called", "defined", "known", "any"];

// Verbs and what follows them (analysis::prose; subjects and negations in
// rules).

/// Frequent verbs and auxiliaries: a sentence without any of these, and
/// without a word that looks like a finite verb, is a fragment.
pub(crate) const VERBS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "can", "could",
    "will", "would", "shall", "should", "may", "might", "must", "need", "needs", "means", "mean", "make", "makes",
    "made", "take", "takes", "took", "give", "gives", "gave", "allow", "allows", "allowed", "provide", "provides",
    "provided", "contain", "contains", "contained", "consist", "consists", "describe", "describes", "described",
    "define", "defines", "defined", "produce", "produces", "produced", "become", "becomes", "became", "remain",
    "remains", "seem", "seems", "occur", "occurs", "occurred", "depend", "depends", "include", "includes", "use",
    "uses", "used", "work", "works", "worked", "get", "gets", "got", "keep", "keeps", "kept", "let", "lets",
    "come", "comes", "came", "go", "goes", "went", "know", "known", "knew", "show", "shows", "shown", "showed",
    "find", "finds", "found", "call", "calls", "called", "tell", "tells", "told", "hold", "holds", "held",
    "require", "requires", "required", "represent", "represents", "lead", "leads", "led", "cause", "causes",
    "caused", "change", "changes", "changed", "form", "forms", "formed", "carry", "carries", "carried",
    "measure", "measures", "absorb", "absorbs", "yield", "yields", "divide", "divides", "work", "grow", "grows",
    "run", "runs", "ran", "create", "creates", "store", "stores", "produce", "return", "returns", "convert",
    "converts", "support", "supports", "generate", "generates", "read", "reads", "write", "writes", "print",
    "prints", "compute", "computes", "handle", "handles", "build", "builds", "built", "offer", "offers", "live",
    "lives", "move", "moves", "flow", "flows", "reach", "reaches", "break", "breaks", "set", "sets", "put", "puts",
    "help", "helps", "follow", "follows", "appear", "appears", "exist", "exists", "belong", "belongs", "lack",
    "lacks", "act", "acts", "serve", "serves", "apply", "applies", "begin", "begins", "began", "end", "ends",
    "consume", "consumes", "release", "releases", "bind", "binds", "split", "splits", "join", "joins", "link",
    "links", "list", "lists", "save", "saves", "load", "loads", "open", "opens", "close", "closes", "send",
    "sends", "receive", "receives", "accept", "accepts", "select", "selects", "replace", "replaces", "increase",
    "increases", "decrease", "decreases", "reduce", "reduces", "rise", "rises", "fall", "falls", "heat", "heats",
    "enforce", "enforces", "specifies", "ensures", "occur", "indicate", "indicates", "determine", "determines",
    "depend", "depends", "remain", "remains", "seem", "seems", "behave", "behaves", "match", "matches", "differ",
    "differs", "vary", "varies", "happen", "happens", "describe", "describes", "include", "includes", "refer",
    "refers", "exist", "become", "becomes", "keep", "keeps", "let", "lets", "tend", "tends", "try", "tries",
];

/// Auxiliaries and finite verb forms that make a clause.
pub(crate) const FINITE: &[&str] = &[
    "is", "are", "was", "were", "has", "have", "had", "can", "cannot", "could", "will", "would", "may", "might",
    "must", "should", "shall", "does", "do", "did", "isn't", "aren't", "doesn't", "don't", "won't", "can't",
    "wasn't", "weren't", "hasn't", "haven't", "needs", "need", "gets", "got", "became", "becomes", "made", "makes",
    "gave", "gives", "took", "takes", "came", "comes", "went", "goes", "saw", "sees", "knew", "knows", "thought",
    "says", "said", "shows", "showed", "shown", "means", "meant", "kept", "keeps", "left", "leaves", "let", "lets",
];

/// Base forms of verbs common in lecture prose that are rarely nouns, for
/// the subject's verb when the classifier's short list lacks it
/// (`maintains`, `assumes`); sorted for a binary search.
pub(crate) const VERB_BASES: &[&str] = &[
    "accept", "accommodate", "accompany", "accomplish", "accumulate", "achieve", "acquire", "activate", "adapt",
    "add", "adjust", "admit", "adopt", "advance", "affect", "aggregate", "aim", "alert", "align", "allocate",
    "allow", "alter", "analyse", "analyze", "annotate", "announce", "answer", "anticipate", "append", "apply",
    "appoint", "approach", "approve", "approximate", "argue", "arise", "arrange", "arrive", "ask", "assemble",
    "assert", "assess", "assign", "assist", "associate", "assume", "attach", "attempt", "attract", "augment",
    "authenticate", "automate", "avoid", "base", "behave", "borrow", "browse", "calculate", "cancel", "capture",
    "carry", "catch", "categorize", "check", "choose", "cite", "clarify", "classify", "clean", "clear", "click",
    "close", "collapse", "collect", "combine", "commit", "communicate", "compare", "compete", "compile", "complain",
    "complement", "complete", "comply", "compose", "compress", "comprise", "compute", "concatenate", "concern",
    "conclude", "conduct", "configure", "confirm", "conform", "connect", "consider", "consist", "constrain",
    "construct", "consult", "contain", "continue", "contribute", "control", "convert", "convey", "cooperate",
    "coordinate", "copy", "correct", "correspond", "count", "couple", "cover", "create", "crop", "debug", "decide",
    "declare", "decline", "decode", "decompose", "decrease", "dedicate", "defer", "define", "delay", "delegate",
    "delete", "deliver", "demand", "demonstrate", "denote", "depend", "deploy", "derive", "describe", "designate",
    "detect", "determine", "develop", "deviate", "differ", "differentiate", "dilute", "direct", "disable",
    "disappear", "discard", "discover", "discuss", "display", "dispose", "distinguish", "distribute", "divide",
    "dominate", "download", "draw", "drive", "drop", "duplicate", "edit", "eliminate", "embed", "emerge", "emit",
    "emphasize", "employ", "emulate", "enable", "encapsulate", "enclose", "encode", "encounter", "encourage", "end",
    "enforce", "engage", "enhance", "enlarge", "ensure", "enter", "establish", "evaluate", "evolve", "examine",
    "exceed", "exclude", "execute", "exhibit", "exist", "expand", "expect", "explain", "exploit", "explore",
    "expose", "express", "extend", "extract", "fail", "fall", "favor", "favour", "feed", "fetch", "fill", "filter",
    "find", "finish", "fit", "fix", "flip", "follow", "force", "forget", "forward", "freeze", "fulfil", "fulfill",
    "gain", "gather", "generalize", "generate", "govern", "grant", "guarantee", "guess", "handle", "happen", "hide",
    "highlight", "hold", "identify", "ignore", "illustrate", "imitate", "implement", "imply", "impose", "improve",
    "incorporate", "increase", "indent", "indicate", "infer", "influence", "inform", "inherit", "initialize",
    "initiate", "inject", "insert", "inspect", "install", "instantiate", "integrate", "intend", "interact",
    "intercept", "interfere", "interpret", "interrupt", "introduce", "invert", "invoke", "involve", "isolate",
    "iterate", "justify", "keep", "kill", "launch", "learn", "leave", "lengthen", "let", "limit", "listen", "load",
    "locate", "look", "lose", "lower", "maintain", "manage", "manipulate", "mark", "match", "maximize", "mean",
    "measure", "meet", "merge", "migrate", "minimize", "miss", "mix", "modify", "mount", "multiply", "navigate",
    "need", "negate", "nest", "normalize", "notice", "notify", "obey", "observe", "obtain", "occupy", "occur",
    "offer", "omit", "operate", "optimize", "organize", "originate", "overlap", "override", "overwrite", "own",
    "pack", "parse", "pass", "perform", "permit", "persist", "pick", "place", "populate", "precede", "predict",
    "prefer", "prepare", "present", "preserve", "prevent", "print", "proceed", "produce", "prohibit", "promote",
    "propagate", "propose", "protect", "prove", "provide", "publish", "pull", "push", "put", "qualify", "raise",
    "reach", "react", "read", "realize", "rearrange", "rebuild", "receive", "recognize", "recommend", "reconstruct",
    "recover", "redefine", "redirect", "reduce", "refer", "reflect", "refresh", "register", "reject", "relate",
    "release", "rely", "remain", "remember", "remove", "rename", "render", "reorder", "repeat", "replace",
    "represent", "reproduce", "require", "rescale", "reserve", "reset", "reside", "resize", "resolve", "respect",
    "respond", "restart", "restore", "restrict", "resume", "retain", "retrieve", "return", "reuse", "reveal",
    "reverse", "review", "revise", "rewrite", "rotate", "run", "satisfy", "save", "scale", "scan", "scroll",
    "search", "secure", "see", "seek", "select", "send", "separate", "serve", "settle", "share", "shift", "shorten",
    "show", "shrink", "simplify", "simulate", "skip", "solve", "sort", "spawn", "specify", "speed", "spend",
    "split", "start", "stay", "stop", "store", "submit", "subscribe", "substitute", "subtract", "succeed", "suffer",
    "suggest", "suit", "summarize", "support", "suppress", "surround", "survive", "suspend", "switch",
    "synchronize", "take", "teach", "tell", "tend", "terminate", "throw", "transform", "translate", "transmit",
    "treat", "trigger", "truncate", "trust", "try", "turn", "typeset", "underline", "understand", "undo", "unify",
    "unite", "unload", "unlock", "update", "upload", "use", "validate", "vanish", "vary", "verify", "view",
    "violate", "visit", "wait", "want", "warn", "watch", "wrap", "write", "yield", "zoom",
];

/// Words before a term that make it a verb (`LaTeX will place`), not a noun.
pub(crate) const VERB_CONTEXT: &[&str] = &[
    "will", "can", "to", "may", "must", "should", "would", "could", "you", "we", "they", "i", "not", "does", "do",
    "did", "cannot", "might", "shall", "also", "then", "please", "don't", "won't", "can't", "it", "he", "she",
];

/// Adverbs that may stand between a subject and its verb (`X also
/// provides …`); `never` is left out: it negates.
pub(crate) const MID_ADVERBS: &[&str] = &["also", "often", "always", "still", "only", "usually", "normally", "generally", "typically", "automatically"];

/// Words that may open what a verb takes: a determiner, a preposition, a
/// pronoun, `that`, `not`; or an adverb, a name, a number.
pub(crate) const COMPLEMENT_OPENERS: &[&str] = &[
    "the", "a", "an", "that", "to", "in", "on", "with", "by", "for", "from", "its", "their", "all", "each", "every",
    "no", "some", "it", "them", "how", "what", "whether", "if", "up", "out", "into", "only", "not", "any", "more",
    "both", "as", "at", "one", "two", "three", "several", "many", "these", "those", "this", "over", "under",
    "through", "between", "about", "across", "after", "before", "without", "within", "when", "which", "where",
    "such", "other", "most", "much", "few", "less", "only", "also", "automatically", "well", "back", "down",
];

// Sentences that are no statements of their own: they point elsewhere, give
// orders, talk about the document or answer something said before
// (analysis::prose).

/// Words that make a sentence depend on what came before or on something
/// outside the text (a figure, a listing, the next page).
pub(crate) const DEPENDENT_WORDS: &[&str] = &[
    "above", "below", "previous", "previously", "following", "aforementioned", "latter", "former", "here",
    "hereafter", "figure", "fig", "table", "listing", "screenshot", "picture", "diagram", "exercise", "exercises",
    "appendix", "overleaf", "opposite", "left", "right", "earlier", "later",
];

/// Sentence openers that refer back.
pub(crate) const BACK_REFERENCES: &[&str] = &[
    "this", "these", "that", "those", "it", "its", "they", "their", "them", "he", "she", "his", "her", "such",
    "here", "both", "another", "other", "others", "then", "thus", "hence", "so", "therefore", "consequently",
    "otherwise", "instead", "similarly", "likewise", "again", "still", "yet", "now", "also", "finally", "next",
    "last", "first", "second", "third", "lastly", "besides", "alternatively", "conversely", "accordingly", "each",
    "all", "none", "one", "which", "we", "i", "our", "my", "us", "ok", "okay", "well", "yes", "no", "oh",
];

/// Connectors that may be dropped from a sentence's start (`However, X is Y`
/// states that X is Y).
pub(crate) const DROPPABLE_OPENERS: &[&str] = &[
    "however", "moreover", "furthermore", "in addition", "in fact", "indeed",
    "but", "and", "so", "yet", "or", "in particular", "basically", "essentially",
    "importantly", "note that", "notice that", "remember that", "recall that", "clearly", "obviously",
    "fortunately", "unfortunately", "interestingly", "in short", "in summary", "in other words", "put simply",
    "simply put", "for instance", "for example",
];
// Hedges (`Usually`, `In most cases`, `By default`) are kept: without them a
// statement would claim more than the lecture does.

/// Imperative openers: instructions to the reader, not statements.
pub(crate) const IMPERATIVES: &[&str] = &[
    "use", "type", "click", "run", "open", "press", "let", "consider", "note", "remember", "see", "try", "make",
    "add", "put", "place", "insert", "write", "enter", "select", "choose", "go", "start", "stop", "look", "read",
    "check", "compare", "recall", "imagine", "suppose", "assume", "take", "give", "find", "create", "save", "set",
    "turn", "fill", "measure", "record", "repeat", "connect", "attach", "remove", "pour", "mix", "heat", "weigh",
    "calculate", "compute", "plot", "draw", "label", "obtain", "prepare", "observe", "allow", "keep", "do",
    "don't", "avoid", "never", "always", "please", "install", "download", "copy", "paste", "edit", "change",
    "define", "declare", "call", "load", "include", "import", "specify", "replace", "delete", "move", "switch",
    "wait", "follow", "refer", "visit", "ask", "answer", "explain", "describe", "discuss", "show", "prove",
    "verify", "determine", "identify", "list", "name", "state", "sketch", "estimate", "record", "clean", "rinse",
    "dispose", "wear", "ensure", "be", "list", "adjust", "fix", "test", "try", "apply", "submit", "email",
];

/// Words that may open a statement right before a determiner (`In the …`,
/// `All the …`, `When a …`); any other word there is a verb giving an order.
pub(crate) const NON_VERB_OPENERS: &[&str] = &[
    "in", "on", "at", "for", "from", "with", "without", "by", "of", "to", "into", "onto", "under", "over", "after",
    "before", "during", "unlike", "like", "when", "whenever", "if", "unless", "because", "since", "although",
    "though", "while", "once", "as", "within", "across", "through", "throughout", "between", "among", "behind",
    "beyond", "upon", "via", "per", "near", "despite", "beside", "besides", "inside", "outside", "toward",
    "towards", "against", "along", "around", "about", "above", "below", "all", "both", "half", "only", "even",
    "just", "not", "where", "whereas", "whether", "so", "and", "but", "or", "nor", "yet", "then", "thus", "hence",
    "also", "here", "there", "what", "which", "who", "how", "why", "whose", "until", "till", "including",
    "following", "given", "using", "except", "regarding", "concerning", "is", "are", "was", "were", "almost",
    "nearly", "most", "many", "much", "every", "each", "some", "any", "no", "neither", "either", "often",
    "usually", "always", "never", "sometimes", "today", "unlike", "than", "because", "after", "up", "down", "off",
    "out", "off", "whilst", "amongst", "beneath", "alongside", "underneath", "past", "plus", "minus", "versus",
];

/// Determiners after which an opening verb gives an order (`Partition the`).
pub(crate) const DETERMINERS_AFTER_VERB: &[&str] = &[
    "the", "a", "an", "your", "all", "each", "every", "any", "this", "these", "those", "its", "their", "our", "some",
];

/// Conversational openers: the sentence answers something said before.
pub(crate) const CHATTY_OPENERS: &[&str] = &[
    "not so", "fair enough", "even better", "even worse", "as well,", "better still", "worse still", "no wonder",
    "in any case", "in that case", "in this case", "at this point", "at that point", "in the meantime", "meanwhile",
    "on the other hand", "on the contrary", "by contrast", "in contrast", "as before", "as usual", "as expected",
    "as a result", "as such", "after that", "after this", "for this reason", "for that reason", "to do so",
    "to this end", "with this", "with that", "in doing so", "of these", "of those", "of course",
];

/// Subjects that point back to something said before (`The result is …`).
pub(crate) const CONTEXT_SUBJECTS: &[&str] = &[
    "result", "results", "value", "values", "output", "answer", "answers", "latter", "former", "same", "second",
    "third", "fourth", "first", "next", "previous", "last", "remaining", "rest", "other", "others", "above", "below",
    "example", "examples", "reason", "difference", "idea", "trick", "point", "catch", "problem", "solution",
    "following", "preceding", "resulting", "corresponding", "new", "final", "current", "original", "two", "three",
    "four", "both", "whole", "task", "goal", "aim", "purpose", "code", "command", "commands", "procedure", "call",
];

/// Words of meta talk about the document, its authors or its distribution.
pub(crate) const META: &[&str] = &[
    "copyright", "licence", "license", "licensed", "licenses", "trademark", "trademarks", "warranty", "permission",
    "rights", "reserved", "gnu", "lppl", "gpl", "creative", "acknowledgements", "acknowledgments", "acknowledgement",
    "thanks", "thank", "grateful", "email", "e-mail", "website", "homepage", "url", "http", "https", "www",
    "download", "downloaded", "pdf", "typeset", "typesetting:", "printed", "reprinted", "preface", "foreword",
    "errata", "feedback", "comments", "suggestions", "bug", "bugs", "mailing", "translation", "translated",
    "translator", "authors", "author", "editor", "editors", "edition", "revision", "revised", "version", "release",
    "released", "maintainer", "maintained", "distribution", "distributed", "redistribute", "modify", "modified",
    "ctan", "github", "sourceforge", "funding", "funded", "grant", "award", "sponsor", "sponsored",
];

/// Nouns that, after `this`/`the present`, mean the text talks about itself.
pub(crate) const SELF_NOUNS: &[&str] = &[
    "document", "documents", "manual", "guide", "book", "chapter", "section", "tutorial", "paper", "article",
    "text", "course", "lecture", "handout", "introduction", "package", "note", "notes", "page", "slide", "slides",
    "talk", "presentation", "part", "report", "thesis", "lab", "laboratory", "experiment", "session", "module",
    "unit", "file", "example", "list", "summary", "overview", "class", "work",
];

// Headings run into the sentence after them (analysis::prose).

/// Sentence openers that, capitalised in the middle of a sentence, show a
/// heading run into it (`The`, `A` are left out: titles use them).
pub(crate) const MID_OPENERS: &[&str] = &[
    "For", "In", "This", "These", "It", "We", "Each", "Every", "When", "If", "To", "There", "You", "Our", "Its",
    "As", "By", "On", "With", "At", "Unlike", "Although", "While", "After", "Before", "Since", "Because", "Once",
    "Using", "Unless", "Whereas", "During", "Most", "Many", "Some", "All", "Here", "Such",
];

/// Words that open a sentence: a heading ends right before one of these.
pub(crate) const OPENERS: &[&str] = &[
    "The", "A", "An", "In", "This", "These", "It", "We", "Each", "Every", "Most", "Many", "Some", "All", "When",
    "If", "For", "To", "One", "There", "You", "Our", "Its", "As", "By", "On", "With", "At", "Unlike", "Although",
    "While", "After", "Before", "Since", "Because", "Any", "Both", "Such", "Here", "Many", "Once", "Using",
    "Although", "Unless", "Whereas", "During",
];

/// Small words a title may have in lower case (`Types of Cells`, `Tips and
/// Tricks`).
pub(crate) const TITLE_CONNECTORS: &[&str] = &["of", "and", "the", "for", "in", "to", "a", "an", "with", "on", "&", "vs", "or", "at", "by"];

// The TeX family's logos as PDF text gives them (analysis::prose).

/// What may come before `TEX` in a logo as PDF text gives it (`LA`, `XƎLA`),
/// and how it is written (`La`, `XeLa`).
pub(crate) const TEX_LOGO_PREFIXES: &[(&str, &str)] = &[
    ("", ""), ("La", "La"), ("LA", "La"), ("Bib", "Bib"), ("BIB", "Bib"), ("XƎLA", "XeLa"), ("XeLa", "XeLa"),
    ("XeLA", "XeLa"), ("XƎ", "Xe"), ("Xe", "Xe"), ("Lua", "Lua"), ("LuaLA", "LuaLa"), ("LuaLa", "LuaLa"),
    ("pdf", "pdf"), ("pdfLA", "pdfLa"), ("pdfLa", "pdfLa"), ("AMS-LA", "AMS-La"), ("AMS-", "AMS-"),
    ("REV", "REV"), ("non-REV", "non-REV"), ("MiK", "MiK"), ("Mac", "Mac"), ("Arab", "Arab"), ("Con", "Con"),
];

/// What may follow `TeX` in a logo (`LaTeX2ε`, `TeXbook`, `TeX’s`).
pub(crate) const TEX_LOGO_SUFFIXES: &[&str] = &["", "2", "2ε", "2e", "3", "'s", "’s", "book", "works", "Live", "live", "shop", "Shop", "ing", "-ing", "ed", "t"];

// Definitions and glossaries (analysis::define, analysis::glossary).

/// Articles before a defined term (`A gene is …`).
pub(crate) const ARTICLES: &[&str] = &["a", "an", "the"];

/// `The function seq is …`, `The command \\foo is …`: the category word is
/// not the term, and what follows it is code.
pub(crate) const CATEGORY_FIRST: &[&str] = &[
    "function", "command", "package", "option", "environment", "file", "value", "variable", "argument", "class",
    "method", "program", "tool", "key", "button", "menu", "field", "parameter", "macro", "operator", "object",
];

/// What a definition's body may start with.
pub(crate) const BODY_START: &[&str] = &["a", "an", "the", "one", "any"];

/// Bodies that evaluate or hedge instead of defining.
pub(crate) const WEAK_BODY: &[&str] = &[
    "a lot", "a few", "a bit", "a little", "a good", "a great", "a very", "a matter", "a question", "a problem",
    "a must", "a way", "a kind", "a sort", "a type", "a number", "a part", "a bad", "a nice", "a big", "a small",
    "a common", "a useful", "a simple", "a popular", "a major", "a key", "a new", "the same", "the most",
    "the best", "the case", "the first", "the last", "the only", "the default", "the result", "the reason",
    "the answer", "the problem", "the one", "the other", "the main", "the next", "the following", "the way",
    "the easiest", "the simplest", "the usual", "the standard", "one of", "any of", "the name", "a name",
    "a reason", "the key", "the idea", "an example", "an important", "an easy", "an alternative", "an option",
    "an extension", "a special", "a short", "a long", "a free", "an open", "a set", "the set", "a collection",
    "a list", "a combination", "the sum", "a piece", "a program", "a tool", "a package", "a file",
];

/// Labels that open a line the way a term would (`Note: …`, `Goal: …`,
/// `Homepage: …`) but name no thing of the lecture.
pub(crate) const LABELS: &[&str] = &[
    "note", "notes", "example", "examples", "goal", "goals", "principle", "doc", "docs", "documentation", "homepage",
    "source", "format", "version", "maintainer", "architecture", "description", "solution", "solutions", "warning",
    "tip", "hint", "remember", "question", "answer", "advantages", "disadvantages", "pros", "cons", "step", "task",
    "aliases", "default", "left", "right", "next", "input", "output", "result", "results", "keywords", "see", "also",
    "figure", "table", "author", "authors", "date", "title", "abstract", "summary", "important", "caution",
    "remark", "proof", "definition", "theorem", "lemma", "exercise", "usage", "syntax", "files", "file", "copyright",
    "license", "licence", "email", "web", "url", "in", "on", "at", "for", "with", "by", "from", "to", "and", "or",
];

// Subjects and key terms: what names a thing of the lecture, and what only
// says what kind of thing it is or points back (rules; WEAK_MODIFIERS also
// analysis::define).

/// Adjectives that make a noun phrase a description, not a key term
/// (`main feature`, `whole document`).
pub(crate) const WEAK_MODIFIERS: &[&str] = &[
    "main", "whole", "entire", "same", "certain", "own", "next", "previous", "various", "special", "real", "extra",
    "old", "nice", "simple", "easy", "hard", "normal", "usual", "typical", "great", "big", "little", "good", "bad",
    "best", "better", "worse", "first", "last", "final", "initial", "following", "above", "below", "current",
    "actual", "particular", "specific", "general", "basic", "full", "complete", "proper", "correct", "wrong", "standard",
    "right", "left", "new", "newer", "older", "latest", "recent", "additional", "further", "different", "similar",
    "useful", "important", "interesting", "possible", "available", "necessary", "appropriate", "relevant",
    "original", "default", "optional", "extended", "short", "long", "small", "large", "high", "low", "more",
    "less", "most", "least", "many", "much", "few", "several", "other", "such", "own", "single", "multiple",
];

/// Nouns that name a category of thing in technical lectures: alone they are
/// never the key term of a sentence (`the _____ is loaded` → `package`).
pub(crate) const CATEGORY_NOUNS: &[&str] = &[
    "value", "values", "function", "functions", "command", "commands", "option", "options", "argument",
    "arguments", "file", "files", "package", "packages", "object", "objects", "element", "elements", "item",
    "items", "method", "methods", "tool", "tools", "program", "programs", "feature", "features", "output", "input",
    "text", "data", "name", "names", "line", "lines", "character", "characters", "document", "documents",
    "environment", "environments", "variable", "variables", "field", "fields", "parameter", "parameters",
    "setting", "settings", "user", "users", "window", "button", "menu", "screen", "field", "list", "lists",
    "set", "sets", "group", "groups", "step", "steps", "place", "space", "work", "code", "mode", "version",
    "source", "sources", "class", "classes", "style", "styles", "effect", "effects", "symbol", "symbols",
    "model", "models", "structure", "structures", "component", "components", "entry", "entries", "image",
    "images", "block", "blocks", "content", "contents", "body", "size", "width", "height", "length", "format",
    "formats", "support", "purpose", "problem", "problems", "solution", "solutions", "change", "changes", "need",
    "needs", "help", "use", "user", "start", "display", "number", "numbers", "string", "strings", "expression", "layout",
    "expressions", "statement", "statements", "result", "results", "word", "words", "page", "pages",
];

/// Nouns that say what kind of thing a name is (`the package fontspec`,
/// `the amsthm package`).
pub(crate) const KIND_NOUNS: &[&str] = &[
    "package", "environment", "command", "option", "class", "style", "statement", "function", "menu", "keyword",
    "engine", "mechanism", "macro", "library", "module", "interface", "program", "tool", "operator", "method",
    "parameter", "template", "font", "distribution", "editor", "system", "format", "language", "directive", "probe",
    "variable", "attribute", "field", "key", "argument", "dialog", "file",
];

/// Kinds that name a thing when a name follows them (`the package
/// fontspec`; not `the parameter filename`, which is a placeholder).
pub(crate) const KIND_FIRST: &[&str] = &[
    "package", "environment", "option", "command", "class", "function", "statement", "macro", "library", "module",
    "program", "tool", "font", "engine", "keyword", "operator", "directive",
];

/// Words in a subject's or an opener's phrase that point to something
/// said or shown elsewhere (`the input for this`, `in the example above`).
pub(crate) const POINTING: &[&str] = &["this", "these", "that", "those", "it", "its", "example", "above", "following", "figure", "table"];

/// Modifiers that point to something said before (`the same package`).
pub(crate) const POINTING_MODIFIERS: &[&str] = &["this", "these", "that", "those", "such", "other", "former", "latter", "aforementioned", "above", "said", "given", "resulting", "corresponding", "respective", "remaining", "simplest", "most", "second", "third"];

// Statements that are no facts to check (rules).

/// Words of chatty or hedging prose, which makes weak stems.
pub(crate) const INFORMAL: &[&str] = &[
    "hmm", "apparently", "basically", "actually", "really", "anyway", "obviously", "luckily", "sadly", "ok", "okay",
    "you", "your", "yours", "yourself", "try", "unfortunately", "fortunately", "maybe", "perhaps", "probably",
    "somewhat", "etc", "e.g", "i.e", "eg", "ie", "whatever", "stuff", "thing", "things", "lot", "lots",
];

/// Words that make a statement a hedge, so that its truth is no fact to
/// check (`may`, `usually`, `some`).
pub(crate) const HEDGES: &[&str] = &[
    "may", "might", "could", "often", "usually", "typically", "normally", "generally", "sometimes", "probably",
    "possibly", "some", "most", "many", "several", "few", "rarely", "seldom", "almost", "nearly", "mainly", "mostly",
    "largely", "perhaps", "likely", "unlikely", "tend", "tends", "either", "neither", "also", "only", "even",
    "especially", "particularly", "better", "best", "easier", "easiest", "simpler", "simplest", "recommended",
    // Evaluations: negated, they make a false statement nobody would believe.
    "important", "useful", "powerful", "versatile", "popular", "good", "great", "easy", "convenient", "nice",
    "helpful", "simple", "flexible", "efficient", "difficult", "hard", "excellent", "beautiful", "elegant",
    "straightforward",
];

/// Negations already in a sentence.
pub(crate) const NEGATIONS: &[&str] = &["not", "never", "no", "cannot", "none", "nothing", "nor", "neither", "without"];

// ------------------------------------------------------------------
// The verifier's and the selector's lists (crate::verify, crate::select,
// crate::passages, through crate::lexicon).

/// Function words: never content.
pub const CHECK_STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
    "onto", "over", "under", "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does",
    "did", "done", "has", "have", "had", "having", "it", "its", "this", "that", "these", "those", "there", "their",
    "they", "them", "he", "she", "his", "her", "we", "our", "you", "your", "i", "my", "me", "which", "what", "who",
    "whom", "whose", "when", "where", "why", "how", "than", "then", "so", "such", "can", "could", "may", "might",
    "must", "shall", "should", "will", "would", "if", "also", "only", "very", "more", "most", "other", "some", "any",
    "each", "every", "all", "both", "either", "neither", "one", "ones", "not", "no", "yes", "into", "within", "via",
    "per", "while", "because", "since", "though", "although", "up", "down", "out", "off", "just", "own", "same",
    "many", "much", "few", "several", "used", "use", "uses", "using", "called", "known", "following", "according",
    "lecture", "true", "false", "statement", "statements", "following", "fill", "blank", "between", "among",
    "through", "during", "without", "after", "before", "again", "further", "here", "s", "etc", "e.g", "i.e",
];

/// Words that make a statement negative.
pub const CHECK_NEGATIONS: &[&str] = &[
    "not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't", "aren't", "wasn't", "weren't", "won't",
    "wouldn't", "shouldn't", "couldn't", "hasn't", "haven't", "hadn't", "didn't", "none", "nothing", "nobody",
    "neither", "nor", "without", "n't",
];

/// Options that answer by the exam's form, not by the lecture.
pub const CHECK_FORM_ANSWERS: &[&str] = &[
    "all of the above", "none of the above", "both of the above", "all of these", "none of these", "both",
    "neither", "all the above", "none", "all", "both a and b", "a and b", "not given", "cannot be determined",
];

/// Words in a stem that point at something the student cannot see.
pub const CHECK_POINTING_PHRASES: &[&str] = &[
    "the passage", "this passage", "the text", "the author", "the authors", "the above", "above", "below",
    "the figure", "this figure", "the table", "this table", "the example", "this example", "this section",
    "this chapter", "the chapter", "mentioned", "the slide", "this slide", "the paragraph", "this document",
    "the document", "as shown", "see ", "the excerpt", "provided text", "given text", "the sentence", "here",
];

/// Words that address the reader or speak for the author: a question with
/// them is about the course, not its content ("What have you learned?").
pub const CHECK_PERSONAL: &[&str] = &["you", "your", "yours", "we", "our", "ours", "us", "my", "let's"];

/// Words of a section title about the course rather than its subject.
pub const CHECK_META_TITLES: &[&str] = &[
    "conclusion", "summary", "outline", "agenda", "contents", "overview", "acknowledg", "reference", "bibliograph",
    "practical session", "exercise", "homework", "assignment", "questions", "thank", "about this", "preface", "foreword",
    "further reading", "license", "licence", "copyright", "appendix",
];

/// Verbs that open an instruction ("Find the …", "Use …"): an exercise or a
/// step, not a fact.
pub const CHECK_IMPERATIVES: &[&str] = &[
    "find", "use", "compute", "calculate", "plot", "consider", "show", "let", "suppose", "assume", "write", "read",
    "see", "note", "try", "run", "type", "click", "open", "select", "enter", "install", "add", "create", "make",
    "go", "check", "compare", "draw", "explain", "describe", "list", "give", "repeat", "fit", "estimate", "apply",
    "press", "choose", "navigate", "copy", "paste", "save", "download", "edit", "remember", "recall", "look",
    "skip", "modify", "avoid", "keep", "put", "specify", "replace", "insert", "remove", "delete", "follow", "change",
];


/// Words that hedge or judge a statement, so that a student answers it True
/// by common sense ("one might like to …", "… are quite convenient"). Fewer
/// than the rules' [`HEDGES`]: a model states "most" and "often" facts.
pub const CHECK_HEDGES: &[&str] = &[
    "might", "probably", "possibly", "perhaps", "maybe", "quite", "fairly", "somewhat", "lot", "lots", "sometimes",
    "useful", "convenient", "helpful", "nice", "good", "great", "easy", "powerful", "versatile", "popular", "excellent",
    "elegant", "straightforward",
];

/// Words anywhere in a statement that point at what came before it ("each
/// step in this process", "the latter group").
pub const CHECK_DEMONSTRATIVES: &[&str] = &["this", "these", "those", "latter", "former", "aforementioned"];

/// First words that make a stem depend on what came before.
pub const CHECK_POINTING_OPENERS: &[&str] =
    &["it", "its", "this", "these", "that", "those", "they", "them", "he", "she", "such", "here", "thus", "hence", "therefore", "however", "also", "then"];

/// Nouns that, followed by a number, point at a part of the document
/// ("Table 16.2", "Figure 3", "Section 2.1").
pub const CHECK_PART_NOUNS: &[&str] =
    &["table", "figure", "fig", "section", "chapter", "equation", "eq", "page", "slide", "listing", "exercise", "example", "appendix", "line", "step", "lab", "task"];

#[cfg(test)]
mod tests {
    use super::VERB_BASES;

    #[test]
    fn verb_bases_are_sorted_for_a_binary_search() {
        assert!(VERB_BASES.windows(2).all(|p| p[0] < p[1]));
    }
}
