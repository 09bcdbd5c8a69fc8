//! Hand-written French vocabulary for the synthetic catalogue.
//!
//! Each class owns a few title templates and word lists; `related` names the classes whose words it
//! borrows now and then, which is what keeps neighbouring categories (books and magazines, consoles and
//! accessories, furniture and decoration) from being separable by vocabulary alone.
//!
//! Placeholders in templates and sentences: `{n}` noun, `{b}` brand, `{a}` adjective, `{x}` extra
//! (all four per class, sometimes borrowed from a related class); shared: `{c}` colour, `{m}` material,
//! `{d}` small number, `{y}` year, `{t}` title phrase, `{p}` person name, `{dim}` dimensions, `{q}`
//! quantity, `{g}` generic marketing word.

mod home;
mod media;
mod toys;

/// The vocabulary of one `prdtypecode`.
pub(super) struct ClassVocab {
    pub code: i64,
    pub related: &'static [i64],
    pub titles: &'static [&'static str],
    pub nouns: &'static [&'static str],
    pub brands: &'static [&'static str],
    pub adjectives: &'static [&'static str],
    pub extras: &'static [&'static str],
    pub sentences: &'static [&'static str],
    pub features: &'static [&'static str],
}

/// All 27 classes, in the order of `CLASS_COUNTS`.
pub(super) fn classes() -> [&'static ClassVocab; 27] {
    [
        &media::USED_BOOKS,
        &media::VIDEO_GAMES,
        &media::GAMING_ACCESSORIES,
        &media::CONSOLES,
        &toys::FIGURINES,
        &toys::CARDS,
        &toys::WARGAME,
        &toys::CHILD_TOYS,
        &toys::BOARD_GAMES,
        &toys::MODEL_MAKING,
        &toys::BABY_CLOTHES,
        &toys::OUTDOOR_GAMES,
        &toys::CHILDCARE,
        &home::FURNITURE,
        &home::LINEN,
        &home::GROCERY,
        &home::DECORATION,
        &home::PETS,
        &media::MAGAZINES,
        &media::BOOK_LOTS,
        &media::GAME_LOTS,
        &media::STATIONERY,
        &home::GARDEN_FURNITURE,
        &home::POOL,
        &home::GARDEN_TOOLS,
        &media::NEW_BOOKS,
        &media::PC_DOWNLOADS,
    ]
}

pub(super) const COLOURS: &[&str] = &[
    "noir",
    "blanc",
    "rouge",
    "bleu",
    "vert",
    "jaune",
    "gris",
    "rose",
    "violet",
    "orange",
    "beige",
    "marron",
    "bleu marine",
    "gris anthracite",
    "taupe",
    "turquoise",
    "argent",
    "doré",
    "ivoire",
    "multicolore",
    "kaki",
    "bordeaux",
    "corail",
    "naturel",
];

pub(super) const MATERIALS: &[&str] = &[
    "bois",
    "métal",
    "plastique",
    "coton",
    "polyester",
    "acier",
    "aluminium",
    "verre",
    "bambou",
    "résine",
    "céramique",
    "PVC",
    "velours",
    "lin",
    "mousse",
    "carton",
    "silicone",
    "tissu",
    "chêne massif",
    "pin",
    "rotin",
    "caoutchouc",
];

pub(super) const TITLE_WORDS_A: &[&str] = &[
    "Le Secret",
    "La Nuit",
    "Les Enfants",
    "Le Voyage",
    "La Maison",
    "Le Dernier Jour",
    "Les Ombres",
    "La Légende",
    "Le Retour",
    "Les Chemins",
    "La Mémoire",
    "Le Silence",
    "Les Aventures",
    "La Guerre",
    "Le Mystère",
    "Les Secrets",
    "La Cité",
    "Le Royaume",
    "L'Île",
    "Le Jardin",
    "La Chute",
    "Les Gardiens",
    "Le Chant",
    "La Saga",
];

pub(super) const TITLE_WORDS_B: &[&str] = &[
    "Du Loup",
    "De La Mer",
    "Des Étoiles",
    "Du Château",
    "De Minuit",
    "Des Dragons",
    "Du Nord",
    "De L'Oubli",
    "Des Anciens",
    "Du Temps",
    "De Provence",
    "Des Sables",
    "Du Roi",
    "De Paris",
    "Des Ténèbres",
    "De La Forêt",
    "Du Désert",
    "Des Pirates",
    "De Lumière",
    "Du Vent",
];

pub(super) const FIRST_NAMES: &[&str] = &[
    "Jean", "Marie", "Pierre", "Claire", "Michel", "Sophie", "Alain", "Isabelle", "Jacques",
    "Anne", "Philippe", "Hélène", "Louis", "Camille", "Henri", "Élodie", "Bernard", "Julie", "Guy",
    "Agathe",
];

pub(super) const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Simon",
    "Michaud",
    "Garnier",
    "Rousseau",
    "Fontaine",
    "Chevalier",
    "Perrin",
    "Morel",
    "Girard",
    "Mercier",
    "Blanchard",
    "Lemaire",
    "Bonnet",
    "Faure",
    "Roussel",
    "Vidal",
];

pub(super) const QUANTITIES: &[&str] = &[
    "Lot de 2",
    "Lot de 3",
    "Lot de 4",
    "Lot de 5",
    "Lot de 6",
    "Lot de 10",
    "x2",
    "x3",
    "x4",
    "Pack de 2",
    "Set de 3",
    "Ensemble de 4",
    "1 pièce",
    "Paire",
];

pub(super) const GENERIC: &[&str] = &[
    "neuf",
    "pas cher",
    "promo",
    "qualité supérieure",
    "livraison rapide",
    "original",
    "nouveau",
    "idée cadeau",
    "haute qualité",
    "occasion",
    "très bon état",
    "garanti",
    "authentique",
    "édition limitée",
    "grand format",
    "petit prix",
    "top vente",
    "offre spéciale",
];

/// Sentences any description may include, whatever the class.
pub(super) const SHARED_SENTENCES: &[&str] = &[
    "Expédition soignée sous 48 heures.",
    "Article {g}, envoyé avec soin.",
    "Nous vous remercions de votre confiance.",
    "Idéal pour offrir à l'occasion d'un anniversaire ou de Noël.",
    "Produit conforme aux normes européennes.",
    "Les couleurs peuvent légèrement varier selon votre écran.",
    "N'hésitez pas à nous contacter pour toute question.",
    "Satisfait ou remboursé sous 30 jours.",
    "Le colis comprend uniquement l'article décrit ci-dessus.",
    "Produit {g} & {g}.",
    "Stock limité, commandez dès maintenant.",
    "Dimensions approximatives : {dim}.",
    "Référence fabricant : \"{b} {d}{d}-{d}\".",
    "Format \"{x}\", tel que décrit sur la photo.",
];

pub(super) const SHARED_FEATURES: &[&str] = &[
    "Couleur : {c}",
    "Matière : {m}",
    "Dimensions : {dim}",
    "Poids : {d}0 g",
    "Contenu : {q}",
    "État : {g}",
    "Garantie : {d} mois",
    "Origine : fabriqué en Europe",
];

pub(super) const SECTION_LABELS: &[&str] = &[
    "Description",
    "Caractéristiques",
    "Points forts",
    "Détails du produit",
    "Contenu du colis",
    "Informations",
    "Fiche technique",
    "À savoir",
];
