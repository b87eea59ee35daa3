"""The verdict on a call for the organisation: the classifier's (refined by the users'
judgements when there are enough), plus the blockers of the evidence vault — a required
document missing or expired makes a call a no-go whatever its score."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from responses.settings import DocumentKind
from responses.vault import Vault, required_document_blockers
from watcher.classify import Classifier
from watcher.config import Config
from watcher.models import Match, Notice
from watcher.store import Store


class Judge:
    def __init__(
        self,
        classifier: Classifier,
        vault: Vault | None = None,
        *,
        skip: tuple[DocumentKind, ...] = (),
    ) -> None:
        self.classifier = classifier
        self.vault = vault
        self.skip: tuple[DocumentKind, ...] = tuple(skip)

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None) -> Judge:
        """The organisation's judge; with a store, its feedback trains the learned model."""
        vault = Vault.load(config.documents, config.base_dir)
        # [profile.qualiopi] is already checked by the classifier: not twice
        skip = (DocumentKind.QUALIOPI,) if config.profile.qualiopi.configured else ()
        return cls(classifier_for(config, store), vault, skip=skip)

    def judge(self, notice: Notice, *, today: date) -> Match:
        match = self.classifier.classify(notice, today=today)
        if self.vault is None:
            return match
        extra = required_document_blockers(self.vault, today, notice.deadline, skip=self.skip)
        return replace(match, blockers=(*match.blockers, *extra)) if extra else match


def classifier_for(config: Config, store: Store | None = None) -> Classifier:
    """The profile's classifier, refined by the users' judgements when there are enough."""
    judgements = store.feedback() if store is not None else []
    if not judgements:
        return Classifier(config.profile)
    from watcher.classify.learn import LearnedModel  # scikit-learn: only when users judged

    return Classifier(config.profile, model=LearnedModel.train(judgements, profile=config.profile))
