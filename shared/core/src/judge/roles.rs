//! Job titles: whether a title stands in a text, how senior it is, and whether a text gives the role claimed to
//! someone else.

use crate::matching::{names, signals};

/// The claimed role against a text that names the person (a team page, a press item): contradicted when the
/// sentence naming them gives them another role while another sentence gives the claimed one to someone else
/// ("Gerente de Exportaciones: Jorge Paredes. Asistente de Exportaciones: María Quispe"), or when the claim is
/// senior and their role junior. The sentence naming them is returned.
pub(super) fn role_contradicted_in_text(title: &str, person: &str, text: &str) -> Option<(String, &'static str)> {
    let sentences = signals::sentences(text);
    let naming: Vec<bool> = sentences
        .iter()
        .map(|sentence| names::mentions_person(sentence, person))
        .collect();
    let own = sentences[naming.iter().position(|named| *named)?];
    let shows_a_role = is_senior_role(own) || is_junior_role(own);
    if !shows_a_role || role_words_present(title, own) {
        return None;
    }
    let held_by_another = sentences
        .iter()
        .zip(&naming)
        .any(|(sentence, named)| !named && role_words_present(title, sentence));
    let note = if held_by_another {
        "the text gives the claimed role to someone else, and the person another"
    } else if is_senior_role(title) && is_junior_role(own) && !is_senior_role(own) {
        "the text shows the person in a junior role, not the senior one claimed"
    } else {
        return None;
    };
    Some((own.to_string(), note))
}

fn role_has_word_starting(role: &str, prefixes: &[&str]) -> bool {
    crate::matching::text::tokens(role)
        .iter()
        .any(|word| prefixes.iter().any(|prefix| word.starts_with(prefix)))
}

/// Director, head, chief, president, owner, founder, partner, manager, in the languages of trade.
pub(super) fn is_senior_role(role: &str) -> bool {
    const SENIOR: &[&str] = &[
        "director",
        "diretor",
        "directeur",
        "directrice",
        "direktor",
        "direttor",
        "chief",
        "ceo",
        "cfo",
        "coo",
        "cto",
        "president",
        "vp",
        "head",
        "owner",
        "founder",
        "fundador",
        "partner",
        "socio",
        "manager",
        "gerente",
        "gerant",
        "leiter",
        "responsable",
    ];
    role_has_word_starting(role, SENIOR)
}

/// Analyst, assistant, intern, trainee, clerk, junior, in the languages of trade.
pub(super) fn is_junior_role(role: &str) -> bool {
    const JUNIOR: &[&str] = &[
        "analyst",
        "analista",
        "analyste",
        "assistant",
        "assistent",
        "asistente",
        "intern",
        "trainee",
        "estagiari",
        "becari",
        "stagiaire",
        "praktikant",
        "clerk",
        "junior",
    ];
    role_has_word_starting(role, JUNIOR)
}

/// Whether every word of a job title stands in a headline, a word's ending aside ("Diretora Comercial" in "Diretor
/// Comercial na …", "Directrice" in "Directeur").
pub(super) fn role_words_present(title: &str, headline: &str) -> bool {
    let stem = |word: &str| word.chars().take(5).collect::<String>();
    let headline_stems: Vec<String> = crate::matching::text::tokens(headline)
        .iter()
        .map(|word| stem(word))
        .collect();
    let title_words: Vec<String> = crate::matching::text::tokens(title)
        .into_iter()
        .filter(|word| word.chars().count() > 2)
        .collect();
    !title_words.is_empty() && title_words.iter().all(|word| headline_stems.contains(&stem(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_page_giving_the_claimed_role_to_a_colleague_contradicts_it() {
        let page = "Gerente General: Rodolfo Linares. Gerente de Exportaciones: Jorge Luis Paredes Cáceres. \
                    Asistente de Exportaciones: María Fernanda Quispe Huamán (mfquispe@textil.example).";
        let person = "María Fernanda Quispe Huamán";
        assert!(role_contradicted_in_text("Gerente de Exportaciones", person, page).is_some());
        assert!(role_contradicted_in_text("Asistente de Exportaciones", person, page).is_none());
        let junior_only = "Analista de Exportação: Larissa Duarte Moreira.";
        assert!(role_contradicted_in_text("Diretora Comercial", "Larissa Duarte Moreira", junior_only).is_some());
        let no_role = "Larissa Duarte Moreira visited the fair. The sales director, Marcelo Pinheiro, spoke.";
        assert!(role_contradicted_in_text("Sales Director", "Larissa Duarte Moreira", no_role).is_none());
    }

    #[test]
    fn a_role_matches_across_word_endings_and_seniority_is_read_in_several_languages() {
        assert!(role_words_present(
            "Diretora Comercial",
            "Diretor Comercial na Café Serra Negra"
        ));
        assert!(role_words_present("Directrice Export", "Directeur export chez Fabre"));
        assert!(!role_words_present("Commercial Director", "Export Analyst at Acme"));

        for senior in [
            "Diretora Comercial",
            "Head of Procurement",
            "Gerente de Exportación",
            "CEO",
        ] {
            assert!(is_senior_role(senior), "{senior}");
        }
        for junior in [
            "Analista de Exportação",
            "Export Assistant",
            "Sales intern",
            "Praktikant Einkauf",
        ] {
            assert!(is_junior_role(junior), "{junior}");
            assert!(!is_senior_role(junior), "{junior}");
        }
        assert!(!is_junior_role("Export Manager"));
    }
}
