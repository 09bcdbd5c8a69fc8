//! Furniture, linen, decoration, grocery, pets, garden and pool.

use super::ClassVocab;

#[rustfmt::skip]
pub(in crate::generate) static FURNITURE: ClassVocab = ClassVocab {
    code: 1560,
    related: &[2060, 1920, 2582],
    titles: &[
        "{n} {a} {m} {c}", "{n} {b} {dim}", "{n} {a} - {x} {c}", "{b} {n} {m} {x}",
        "{n} {m} {c} {dim}", "{q} {n} {a} {c}",
    ],
    nouns: &[
        "Table Basse", "Chaise", "Canapé", "Armoire", "Commode", "Étagère", "Bureau", "Lit",
        "Matelas", "Buffet", "Tabouret De Bar", "Meuble TV", "Bibliothèque", "Fauteuil",
        "Table À Manger", "Sommier", "Surmatelas", "Banc",
    ],
    brands: &[
        "Vidaxl", "Ikea", "Conforama", "Alinea", "Maisons Du Monde", "Homcom", "Atmosphera",
        "Kave Home", "Baldiflex", "Dunlopillo",
    ],
    adjectives: &[
        "scandinave", "industriel", "moderne", "contemporain", "vintage", "pliant", "extensible",
        "rembourré", "convertible", "design",
    ],
    extras: &[
        "2 Tiroirs", "3 Places", "140 x 190 cm", "Style Industriel", "Avec Rangement",
        "Pieds Métal", "Mémoire De Forme", "Lot De 4", "À Monter Soi-même",
    ],
    sentences: &[
        "{n} {a} en {m}, parfait pour le salon ou la chambre.",
        "Dimensions : {dim}, montage facile avec notice fournie.",
        "Structure robuste en {m} et finition {c}.", "Apportez une touche {a} à votre intérieur.",
        "Charge maximale : {d}0 kg.", "Mousse haute densité pour un confort optimal.",
    ],
    features: &[
        "Matière : {m}", "Dimensions : {dim}", "Couleur : {c}", "Style : {a}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static LINEN: ClassVocab = ClassVocab {
    code: 1920,
    related: &[2060, 1560, 1301],
    titles: &[
        "{n} {a} {c} {x}", "{q} {n} {m} {c}", "{n} {b} {x}", "{n} {m} {a} {dim}", "{b} {n} {c} {x}",
    ],
    nouns: &[
        "Housse De Couette", "Drap Housse", "Taie D'oreiller", "Coussin", "Housse De Coussin",
        "Plaid", "Rideau", "Nappe", "Serviette De Bain", "Couverture", "Oreiller", "Parure De Lit",
        "Torchon", "Couette", "Voilage",
    ],
    brands: &[
        "Linnea", "Tradilinge", "Essix", "Dodo", "Becquet", "Blanc Des Vosges", "Anne De Solène",
        "Home Linen", "Douceur D'intérieur",
    ],
    adjectives: &[
        "en coton", "doux", "imprimé", "brodé", "occultant", "uni", "réversible", "polaire",
        "100% coton", "lavable",
    ],
    extras: &[
        "240 x 220 cm", "45 x 45 cm", "140 x 200 cm", "2 Personnes", "1 Personne", "Percale",
        "Flanelle", "Motif Géométrique", "Motif Floral",
    ],
    sentences: &[
        "{n} {a} en {m}, {x}.", "Tissu doux et résistant, lavable en machine à 40 degrés.",
        "Ajoutez une touche de couleur {c} à votre chambre.",
        "Fermeture éclair invisible, garnissage non inclus.",
        "Impression haute définition qui ne se décolore pas au lavage.",
    ],
    features: &[
        "Dimensions : {x}", "Composition : {m}", "Couleur : {c}", "Entretien : lavable à 40°",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static GROCERY: ClassVocab = ClassVocab {
    code: 1940,
    related: &[2220, 2060],
    titles: &[
        "{n} {a} {b} {x}", "{q} {n} {b}", "{b} - {n} {a}", "{n} {x} {a}", "{n} {b} {d} g",
    ],
    nouns: &[
        "Café En Grains", "Thé Vert", "Chocolat Noir", "Bonbons", "Miel", "Huile D'olive",
        "Biscuits", "Épices", "Confiture", "Capsules De Café", "Infusion", "Pâtes", "Sirop",
        "Sauce", "Foie Gras",
    ],
    brands: &[
        "Lavazza", "Nespresso", "Lindt", "Haribo", "Bonne Maman", "Kusmi Tea", "Carte Noire",
        "Ducros", "Monin", "Lu", "Fauchon",
    ],
    adjectives: &[
        "bio", "artisanal", "équitable", "sans gluten", "gourmand", "corsé", "naturel", "vegan",
        "fruité",
    ],
    extras: &[
        "250 g", "500 g", "1 kg", "100 Capsules", "Boîte Métal", "Coffret Cadeau", "Pack Familial",
        "DLUO Longue",
    ],
    sentences: &[
        "{n} {a} aux saveurs authentiques.",
        "Ingrédients : sucre, cacao, lait en poudre, émulsifiant.",
        "À conserver dans un endroit sec et à l'abri de la chaleur.", "Poids net : {d}00 g.",
        "Une recette {a} signée {b}.",
    ],
    features: &[
        "Poids : {x}", "Origine : France", "Conservation : {d} mois", "Marque : {b}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static DECORATION: ClassVocab = ClassVocab {
    code: 2060,
    related: &[1560, 1920, 2522],
    titles: &[
        "{n} {a} {m} {c}", "{n} {b} {x}", "{q} {n} {a}", "{n} {m} {c} {dim}", "{n} {a} {x} {c}",
        "{b} {n} {a}",
    ],
    nouns: &[
        "Lampe", "Miroir", "Vase", "Cadre Photo", "Horloge Murale", "Bougie Parfumée",
        "Sticker Mural", "Tableau", "Guirlande Lumineuse", "Statue", "Boîte De Rangement", "Tapis",
        "Suspension", "Photophore", "Toile Imprimée", "Boule De Noël", "Diffuseur",
    ],
    brands: &[
        "Atmosphera", "Maisons Du Monde", "Zara Home", "Hema", "Yankee Candle", "Alinea", "Casa",
        "Gifi", "Leroy Merlin",
    ],
    adjectives: &[
        "décoratif", "lumineux", "vintage", "bohème", "scandinave", "moderne", "doré", "rustique",
        "mural", "design",
    ],
    extras: &[
        "Décoration Maison", "LED", "Salon", "Chambre", "Noël", "Style Industriel", "30 x 40 cm",
        "Fait Main", "Décoration Murale",
    ],
    sentences: &[
        "{n} {a} pour sublimer votre intérieur.", "Réalisé en {m}, finition {c}.",
        "S'intègre parfaitement dans un salon, une chambre ou une entrée.",
        "Fonctionne avec {d} piles, ampoule LED fournie.",
        "Un objet de décoration {a} et original.",
    ],
    features: &[
        "Matière : {m}", "Dimensions : {dim}", "Couleur : {c}", "Pièce : {x}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static PETS: ClassVocab = ClassVocab {
    code: 2220,
    related: &[1940, 2060, 1560],
    titles: &[
        "{n} {a} Pour {x} {c}", "{n} {b} {x}", "{q} {n} {a}", "{n} {x} {b} {dim}",
        "{n} Pour {x} {a}",
    ],
    nouns: &[
        "Collier", "Laisse", "Panier", "Coussin", "Arbre À Chat", "Gamelle", "Jouet", "Harnais",
        "Litière", "Croquettes", "Niche", "Cage", "Aquarium", "Brosse", "Griffoir", "Manteau",
    ],
    brands: &[
        "Trixie", "Zolux", "Ferplast", "Kong", "Royal Canin", "Flexi", "Hunter", "Karlie",
        "Vadigran",
    ],
    adjectives: &[
        "réglable", "confortable", "lavable", "rétractable", "anti-traction", "imperméable",
        "réfléchissant", "interactif",
    ],
    extras: &[
        "Chien", "Chat", "Petit Chien", "Grand Chien", "Chiot", "Rongeur", "Oiseau", "Lapin",
        "Taille M",
    ],
    sentences: &[
        "{n} {a} pour {x}.", "Convient aux animaux jusqu'à {d} kg.",
        "Votre compagnon à quatre pattes va l'adorer.",
        "Matière résistante aux griffes et facile à nettoyer.",
        "Accessoire {b} pour le bien-être de votre animal.",
    ],
    features: &[
        "Animal : {x}", "Taille : {dim}", "Couleur : {c}", "Matière : {m}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static GARDEN_FURNITURE: ClassVocab = ClassVocab {
    code: 2582,
    related: &[1560, 2585, 2583],
    titles: &[
        "{n} De Jardin {a} {m}", "{n} {b} {c} {x}", "{q} {n} {m} {c}", "{n} {a} {dim}",
        "{b} {n} {x}", "Salon De Jardin {m} {x}",
    ],
    nouns: &[
        "Salon De Jardin", "Chaise Longue", "Parasol", "Transat", "Table De Jardin", "Hamac",
        "Bain De Soleil", "Pergola", "Tonnelle", "Fauteuil De Jardin", "Banc De Jardin",
        "Coussin D'extérieur", "Voile D'ombrage", "Barbecue", "Balancelle",
    ],
    brands: &[
        "Vidaxl", "Hesperide", "Outsunny", "Trigano", "Weber", "Keter", "Lafuma", "Proloisirs",
        "Jardiline",
    ],
    adjectives: &[
        "pliant", "résistant aux UV", "inclinable", "empilable", "déperlant", "en résine tressée",
        "d'extérieur", "moderne",
    ],
    extras: &[
        "4 Places", "6 Personnes", "Ø 300 cm", "Avec Coussins", "Terrasse", "Balcon",
        "Résine Tressée", "Aluminium",
    ],
    sentences: &[
        "{n} {a} pour profiter de votre terrasse.",
        "Structure en {m} traité contre la rouille et les intempéries.",
        "Coussins déhoussables et lavables, coloris {c}.",
        "Ensemble composé d'une table et de {d} fauteuils.",
        "Parfait pour le jardin, la terrasse ou le balcon.",
    ],
    features: &[
        "Matière : {m}", "Dimensions : {dim}", "Couleur : {c}", "Places : {d}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static POOL: ClassVocab = ClassVocab {
    code: 2583,
    related: &[2582, 2585, 1302],
    titles: &[
        "{n} {b} {x}", "{n} {a} {b} {dim}", "{b} - {n} {x}", "{n} Piscine {a} {x}", "{q} {n} {b}",
        "{n} Pour Piscine {x}",
    ],
    nouns: &[
        "Piscine Hors Sol", "Pompe De Filtration", "Robot De Piscine", "Bâche À Bulles",
        "Chlore Galets", "Échelle", "Spa Gonflable", "Skimmer", "Liner", "Alarme Piscine",
        "Épuisette", "Filtre À Sable", "Cartouche Filtrante", "Pompe À Chaleur", "Douche Solaire",
        "Balai Aspirateur",
    ],
    brands: &[
        "Bestway", "Intex", "Gré", "Zodiac", "Dolphin", "Hayward", "Kokido", "Aquatech", "Ubbink",
        "Astral Pool",
    ],
    adjectives: &[
        "tubulaire", "autoportante", "gonflable", "électrique", "automatique", "ronde", "ovale",
        "solaire", "hors sol",
    ],
    extras: &[
        "Ø 366 cm", "4,57 x 1,22 m", "5 kg", "4 Places", "Power Steel", "Type A", "10 m³/h",
        "NF P90-307", "Avec Kit De Filtration",
    ],
    sentences: &[
        "{n} {b} {a}, profitez de l'été en famille.",
        "Débit de {d} m³/h, idéal pour les piscines jusqu'à {d}0 m³.",
        "Installation rapide sans outils en moins de {d}0 minutes.",
        "Eau claire et saine grâce au système de filtration.",
        "Liner renforcé en PVC triple épaisseur.",
    ],
    features: &[
        "Dimensions : {dim}", "Marque : {b}", "Volume : {d} 000 litres", "Référence : {x}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static GARDEN_TOOLS: ClassVocab = ClassVocab {
    code: 2585,
    related: &[2582, 2583, 1560],
    titles: &[
        "{n} {b} {a} {x}", "{n} {a} {x}", "{b} - {n} {x}", "{q} {n} {a}", "{n} {b} {d} V",
    ],
    nouns: &[
        "Tondeuse", "Taille-haie", "Sécateur", "Tuyau D'arrosage", "Perceuse", "Débroussailleuse",
        "Souffleur", "Tronçonneuse", "Serre De Jardin", "Abri De Jardin", "Pelle", "Râteau",
        "Arrosoir", "Composteur", "Nettoyeur Haute Pression", "Visseuse",
    ],
    brands: &[
        "Bosch", "Gardena", "Black & Decker", "Makita", "Ryobi", "Fiskars", "Stihl", "Karcher",
        "Einhell", "Worx",
    ],
    adjectives: &[
        "sans fil", "électrique", "thermique", "télescopique", "ergonomique", "professionnel",
        "rechargeable", "extensible",
    ],
    extras: &[
        "18V", "36V", "1800W", "Batterie Incluse", "25 m", "Lame 50 cm", "Bac 40 L", "Kit Complet",
    ],
    sentences: &[
        "{n} {a} pour l'entretien de votre jardin.", "Moteur de {d}00 W et poignée ergonomique.",
        "Batterie lithium {x} pour une autonomie de {d}0 minutes.",
        "Idéal pour le bricolage et les travaux extérieurs.",
        "Livré avec {q} accessoires et mallette de rangement.",
    ],
    features: &[
        "Puissance : {x}", "Marque : {b}", "Poids : {d} kg", "Alimentation : {a}",
    ],
};
