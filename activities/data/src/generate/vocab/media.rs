//! Books, magazines, video games and stationery.

use super::ClassVocab;

#[rustfmt::skip]
pub(in crate::generate) static USED_BOOKS: ClassVocab = ClassVocab {
    code: 10,
    related: &[2705, 2403, 2280],
    titles: &[
        "{t}", "{t} - {p}", "{t} {x}", "{n} : {t}", "{t} - {b} {y}", "{p} - {t} ({b})",
        "{n} {a} {t}", "{t} Tome {d}",
    ],
    nouns: &[
        "Roman", "Essai", "Recueil", "Histoire", "Guide", "Biographie", "Mémoires", "Dictionnaire",
        "Manuel", "Chroniques", "Contes", "Poèmes", "Atlas", "Traité", "Lettres", "Théâtre",
    ],
    brands: &[
        "Gallimard", "Le Livre De Poche", "Folio", "J'ai Lu", "Flammarion", "Albin Michel",
        "Hachette", "Seuil", "Presses De La Cité", "Larousse", "Julliard", "Denoël", "Plon",
    ],
    adjectives: &[
        "ancien", "illustré", "annoté", "complet", "inédit", "rare", "broché", "relié", "épuisé",
        "classique", "populaire",
    ],
    extras: &[
        "Edition 1972", "Format Poche", "Broché", "Livre d'occasion", "Edition Originale",
        "Collection Blanche", "Tome 1", "Volume 2", "Reliure Cuir", "Edition Club",
    ],
    sentences: &[
        "Ouvrage d'occasion en {g}, couverture légèrement usée.", "Livre publié par {b} en {y}.",
        "{p} signe ici un {n} {a} qui a marqué son époque.",
        "Quelques annotations au crayon, pages jaunies par le temps.", "Un {n} de {d}0 pages, {x}.",
        "Ancien exemplaire de bibliothèque, tampon en page de garde.",
    ],
    features: &[
        "Auteur : {p}", "Éditeur : {b}", "Année : {y}", "Pages : {d}0", "Format : {x}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static NEW_BOOKS: ClassVocab = ClassVocab {
    code: 2705,
    related: &[10, 2403, 2280],
    titles: &[
        "{t}", "{t} - {p}", "{t} : {n} {a}", "{t} - Tome {d}", "{n} {a} - {t}", "{t} ({x})",
        "{p} - {t}",
    ],
    nouns: &[
        "Roman", "Thriller", "Polar", "Récit", "Essai", "Guide pratique", "Biographie",
        "Roman graphique", "Saga", "Cahier", "Méthode", "Livre de cuisine", "Recueil",
    ],
    brands: &[
        "Gallimard", "Actes Sud", "Flammarion", "Robert Laffont", "Fayard", "Grasset", "Seuil",
        "Michel Lafon", "Pocket", "Eyrolles", "Dunod", "Marabout",
    ],
    adjectives: &[
        "nouveau", "inédit", "captivant", "passionnant", "bouleversant", "illustré", "complet",
        "essentiel", "pratique", "poignant", "incontournable",
    ],
    extras: &[
        "Grand Format", "Edition Collector", "Prix Goncourt", "Format Kindle", "Broché",
        "Nouvelle Edition", "Edition Illustrée", "Poche", "Coffret", "Version Française",
    ],
    sentences: &[
        "Le nouveau {n} de {p}, publié chez {b}.",
        "Un {n} {a} qui vous tiendra en haleine jusqu'à la dernière page.",
        "{p} nous entraîne dans une histoire {a} entre passé et présent.",
        "Paru en {y}, ce livre a conquis des milliers de lecteurs.",
        "Découvrez le tome {d} de la série {t}.",
        "Un récit {a} sur la famille, l'amour et la mémoire.",
    ],
    features: &[
        "Auteur : {p}", "Éditeur : {b}", "Parution : {y}", "Nombre de pages : {d}0",
        "Langue : Français",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static BOOK_LOTS: ClassVocab = ClassVocab {
    code: 2403,
    related: &[10, 2705, 2280],
    titles: &[
        "{q} Livres {n}", "Lot {n} {b}", "{q} {n} - {t}", "Lot De {d} {n} {a}",
        "{n} {t} Tomes 1 À {d}", "{t} - {q} Volumes", "Collection {n} {b} Lot",
    ],
    nouns: &[
        "Bandes Dessinées", "BD", "Mangas", "Romans", "Livres", "Comics", "Albums", "Partitions",
        "Livres Jeunesse", "Romans Policiers", "Encyclopédies", "Revues", "Fascicules",
    ],
    brands: &[
        "Dargaud", "Dupuis", "Casterman", "Glénat", "Kana", "Delcourt", "Le Lombard", "Pika",
        "Harlequin", "Bibliothèque Rose", "Bibliothèque Verte", "Panini Comics",
    ],
    adjectives: &[
        "complet", "ancien", "divers", "rare", "incomplet", "bon état", "vintage", "assortis",
        "occasion", "variés",
    ],
    extras: &[
        "Série Complète", "Tomes 1 À 12", "Intégrale", "Edition Originale", "Lot Mixte",
        "Années 80", "Collection Complète", "Vrac",
    ],
    sentences: &[
        "Lot de {d} {n} en bon état général.", "Vendu en lot uniquement, {n} {a}.",
        "Ensemble de {n} édités par {b}, quelques couvertures abîmées.",
        "Série {t} : tomes 1 à {d}.", "Lot provenant d'une collection privée, {x}.",
    ],
    features: &[
        "Nombre de volumes : {d}", "Éditeur : {b}", "État : {a}", "Série : {t}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static MAGAZINES: ClassVocab = ClassVocab {
    code: 2280,
    related: &[10, 2403, 2705],
    titles: &[
        "{b} N° {d}", "{b} N°{d} Du {d}/{d}/{y}", "{b} {n} - {t}", "{n} {b} {y}",
        "{b} Hors-Série N° {d}", "{b} - {x} - {t}", "{n} {a} {b} N° {d}",
    ],
    nouns: &[
        "Revue", "Magazine", "Journal", "Hebdomadaire", "Mensuel", "Numéro Spécial", "Supplément",
        "Almanach", "Catalogue", "Fascicule", "Bulletin",
    ],
    brands: &[
        "Paris Match", "L'Illustration", "Le Point", "Science Et Vie", "Géo", "Elle",
        "Marie Claire", "Historia", "L'Express", "Auto Plus", "Télé 7 Jours",
        "Le Chasseur Français", "Spirou", "Pif Gadget", "Rock & Folk", "Jours De France",
    ],
    adjectives: &[
        "ancien", "rare", "spécial", "complet", "vintage", "historique", "mensuel", "illustré",
        "collector",
    ],
    extras: &[
        "Hors-Série", "Numéro Spécial", "Edition Spéciale", "Avec Poster", "Supplément",
        "Spécial Noël", "Numéro 1", "Collection",
    ],
    sentences: &[
        "Magazine {b} numéro {d}, paru en {y}.", "Au sommaire : {t}, reportages et interviews.",
        "Revue {a} en bon état, {x}.", "Numéro complet de {d} pages, couverture {c}.",
        "Dossier spécial : {t}.",
    ],
    features: &["Titre : {b}", "Numéro : {d}", "Année : {y}", "Pages : {d}"],
};

#[rustfmt::skip]
pub(in crate::generate) static VIDEO_GAMES: ClassVocab = ClassVocab {
    code: 40,
    related: &[50, 60, 2462, 2905],
    titles: &[
        "{t} - {b}", "{t} {x}", "{n} {t} ({b})", "{t} - Jeu {b} - {a}", "{t} {y}", "{t} PAL {b}",
        "{n} - {t}",
    ],
    nouns: &[
        "Jeu", "Jeu Vidéo", "CD Audio", "Album", "Bande Originale", "Jeu d'aventure",
        "Jeu de course", "Jeu de combat", "DVD", "Import Japonais",
    ],
    brands: &[
        "Playstation 2", "PS3", "PS4", "Xbox 360", "Nintendo DS", "Wii", "Game Boy", "Gamecube",
        "Nintendo 64", "Super Nintendo", "Megadrive", "Dreamcast", "PSP", "PC CD-ROM", "3DS",
    ],
    adjectives: &[
        "complet", "en boîte", "neuf", "scellé", "rare", "occasion", "version française", "import",
        "platinum",
    ],
    extras: &[
        "Edition Collector", "Version Française", "PAL FR", "Import US", "Game Of The Year",
        "Platinum", "Complet Avec Notice", "Sous Blister",
    ],
    sentences: &[
        "Jeu {t} pour {b}, {a}.", "Le disque est en très bon état, livré avec sa notice.",
        "Plongez dans un univers {a} et affrontez des ennemis redoutables.",
        "Mode multijoueur jusqu'à {d} joueurs.",
        "Configuration requise : processeur {d}00 MHz, {d}0 Mo de RAM.",
        "Version {x}, fonctionne sur console européenne.",
    ],
    features: &[
        "Plateforme : {b}", "Genre : {n}", "Langue : Français", "PEGI : {d}", "Sortie : {y}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static GAMING_ACCESSORIES: ClassVocab = ClassVocab {
    code: 50,
    related: &[40, 60, 2462],
    titles: &[
        "{n} Pour {b} {c}", "{n} {a} {b}", "{q} {n} {b}", "{n} {b} - {x}", "{b} {n} {a} {c}",
        "{n} Compatible {b}",
    ],
    nouns: &[
        "Manette", "Câble HDMI", "Chargeur", "Housse", "Station De Charge", "Volant",
        "Casque Gaming", "Carte Mémoire", "Support", "Coque De Protection", "Joystick", "Batterie",
        "Adaptateur", "Skin Autocollant", "Protection D'écran", "Grip",
    ],
    brands: &[
        "PS4", "PS5", "Xbox One", "Nintendo Switch", "Switch Lite", "PS Vita", "3DS XL", "Wii U",
        "Xbox Series X", "PSP", "Playstation 3",
    ],
    adjectives: &[
        "sans fil", "filaire", "ergonomique", "rechargeable", "compatible", "universel", "renforcé",
        "antidérapant", "LED",
    ],
    extras: &[
        "Double Choc", "Bluetooth", "USB-C", "2m", "Officiel", "Compatible Toutes Versions",
        "Avec Vibration", "Kit Complet",
    ],
    sentences: &[
        "{n} {a} compatible avec {b}.", "Autonomie d'environ {d} heures après une charge complète.",
        "Branchez et jouez immédiatement, aucun pilote requis.",
        "Protège votre console des rayures et des chocs.", "Accessoire {x}, finition {c}.",
    ],
    features: &[
        "Compatibilité : {b}", "Connectique : {x}", "Couleur : {c}", "Longueur du câble : {d}0 cm",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static CONSOLES: ClassVocab = ClassVocab {
    code: 60,
    related: &[40, 50, 2462],
    titles: &[
        "Console {b} {x}", "{b} {d} Go {c}", "Pack Console {b} + {d} Jeux", "Console {b} {a} {c}",
        "{n} {b} {x}", "{b} Console {a}",
    ],
    nouns: &[
        "Console", "Console Portable", "Console Rétro", "Mini Console", "Pack Console", "Bundle",
        "Console De Salon",
    ],
    brands: &[
        "Playstation 4 Slim", "PS4 Pro", "Xbox One S", "Nintendo Switch", "Nintendo 3DS", "PS Vita",
        "Super Nes Classic Mini", "Game Boy Advance", "Megadrive Mini", "Nintendo DS Lite", "Wii",
        "Xbox 360 Elite", "Gameboy Color",
    ],
    adjectives: &[
        "reconditionnée", "complète", "en boîte", "rétro", "portable", "débloquée", "neuve",
        "occasion", "HDMI",
    ],
    extras: &[
        "500 Go", "1 To", "Edition Limitée", "Avec Manette", "Pack Jeux", "Edition Spéciale",
        "Avec Chargeur", "200 Jeux Intégrés",
    ],
    sentences: &[
        "Console {b} {a}, livrée avec manette et câbles.",
        "Disque dur de {d}00 Go, mises à jour effectuées.",
        "Revivez les classiques avec {d}0 jeux préinstallés.",
        "Testée et fonctionnelle, quelques traces d'usage.",
        "Sortie vidéo HDMI, résolution jusqu'à 1080p.",
    ],
    features: &[
        "Modèle : {b}", "Stockage : {x}", "Couleur : {c}", "Manettes incluses : {d}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static GAME_LOTS: ClassVocab = ClassVocab {
    code: 2462,
    related: &[40, 60, 50],
    titles: &[
        "{q} Jeux {b}", "Lot {n} {b} {a}", "{q} Jeux {b} + {n}", "Lot De {d} Jeux {b} - {t}",
        "{b} Lot {n} {x}", "Pack {d} Jeux {b} Occasion",
    ],
    nouns: &[
        "Jeux", "Jeux Vidéo", "Manettes", "Cartouches", "Accessoires", "Jeux Et Console", "Disques",
        "Boîtiers",
    ],
    brands: &[
        "PS2", "PS3", "Xbox 360", "Wii", "Nintendo DS", "Game Boy", "Gamecube", "PSP",
        "Nintendo 3DS", "PS1", "Megadrive",
    ],
    adjectives: &[
        "occasion", "assortis", "complets", "en vrac", "testés", "divers", "rétro", "sans notice",
    ],
    extras: &[
        "Sans Boîte", "Complets", "Vendus En Lot", "Testés Fonctionnels", "Rétrogaming", "Vrac",
        "Avec Notices",
    ],
    sentences: &[
        "Lot de {d} jeux {b} en bon état.", "Jeux testés et fonctionnels, vendus {a}.",
        "Le lot contient notamment {t} et {t}.", "Idéal pour démarrer une collection rétro.",
        "Quelques boîtiers fendus, disques sans rayures.",
    ],
    features: &["Plateforme : {b}", "Nombre de jeux : {d}", "État : {a}"],
};

#[rustfmt::skip]
pub(in crate::generate) static PC_DOWNLOADS: ClassVocab = ClassVocab {
    code: 2905,
    related: &[40, 2462],
    titles: &[
        "{t} - Jeu En Téléchargement", "{t} {x} - Jeu En Téléchargement", "{t} - {n} PC",
        "{t} {a} - Code {b}", "{t} ({b}) - {x}",
    ],
    nouns: &[
        "Jeu", "Extension", "DLC", "Pack", "Season Pass", "Code d'activation", "Jeu de stratégie",
        "Simulation",
    ],
    brands: &[
        "Steam", "Uplay", "Origin", "Epic Games", "GOG", "Battle.net", "Windows 10", "Mac",
    ],
    adjectives: &[
        "numérique", "dématérialisé", "complet", "deluxe", "ultime", "premium", "standard",
    ],
    extras: &[
        "Complete Edition", "Deluxe Edition", "Gold Edition", "Ultimate Edition", "Season Pass",
        "Game Of The Year Edition", "Standard Edition",
    ],
    sentences: &[
        "Note : code d'activation à utiliser exclusivement sur un compte {b} valide.",
        "Connexion Internet requise pour l'activation.",
        "Contenu premium exclusif inclus dans l'{x}.",
        "Système d'exploitation : Windows 7, 8 ou 10 (64 bits).",
        "Processeur : {d} GHz, mémoire : {d} Go de RAM, carte graphique compatible DirectX 11.",
        "Bâtissez votre empire dans un {n} {a}.",
    ],
    features: &[
        "Plateforme : {b}", "Édition : {x}", "Langue : Français", "Mémoire : {d} Go",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static STATIONERY: ClassVocab = ClassVocab {
    code: 2522,
    related: &[2060, 2403],
    titles: &[
        "{n} {b} {a} {c}", "{q} {n} {b}", "{n} {a} {x}", "{b} - {n} {c} {x}", "{n} {x} {c}",
        "{n} {b} {d} Feuilles",
    ],
    nouns: &[
        "Cahier", "Carnet", "Agenda", "Stylo", "Classeur", "Trousse", "Bloc-notes", "Feutres",
        "Crayons De Couleur", "Ramette Papier", "Enveloppes", "Calendrier", "Porte-documents",
        "Surligneurs", "Cartouches D'encre", "Étiquettes",
    ],
    brands: &[
        "Clairefontaine", "Oxford", "Bic", "Stabilo", "Exacompta", "Moleskine", "Pilot", "Maped",
        "Herlitz", "Quo Vadis", "Canson", "Staedtler",
    ],
    adjectives: &[
        "ligné", "quadrillé", "à spirale", "rigide", "souple", "effaçable", "permanent", "recyclé",
        "perforé",
    ],
    extras: &[
        "A4", "A5", "21 x 29,7 cm", "96 Pages", "Grands Carreaux", "Petits Carreaux", "Pointe Fine",
        "2024-2025", "80 g/m²",
    ],
    sentences: &[
        "{n} {b} format {x}, papier {a}.", "Idéal pour l'école, le bureau ou la maison.",
        "Couverture {c} résistante, {d} pages.", "Encre à séchage rapide, écriture fluide.",
        "Organisez votre année avec cet {n} {a}.",
    ],
    features: &[
        "Format : {x}", "Marque : {b}", "Couleur : {c}", "Nombre de feuilles : {d}0",
    ],
};
