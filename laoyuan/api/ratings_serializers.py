"""What the ratings API shows: star evaluations with their scores by section, and subsidies.
Scores and money are strings with two decimals; ``stars`` is an integer 0–5 whenever
``total_score`` is set."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from laoyuan.api.serializers import IdParam, PeriodField, PlaceRefSerializer, money
from laoyuan.ratings.enums import EvaluationState, SubsidyState
from laoyuan.ratings.models import Evaluation, SectionScore, Subsidy


def points(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, **kwargs)


class RatingFilterSerializer(serializers.Serializer):
    compound = IdParam(help_text=_("Only this compound's ratings (its id)."))


class SectionScoreSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="section.code", read_only=True)
    name = serializers.CharField(source="section.name", read_only=True)
    weight = points(source="section.weight", help_text=_("The section's weight, percent."))
    score = points(help_text=_("The section's score, of 100."))
    weighted = points(help_text=_("score × weight ÷ 100: its part of the total."))

    class Meta:
        model = SectionScore
        fields = ["code", "name", "weight", "score", "weighted"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    compound = PlaceRefSerializer(read_only=True)
    period = serializers.CharField(read_only=True, help_text=_("The rating year."))
    state = serializers.ChoiceField(choices=EvaluationState.choices, read_only=True)
    total_score = points(allow_null=True, help_text=_("Null until the scoring is complete."))
    vetoed = serializers.BooleanField(read_only=True, help_text=_("A veto item applies."))
    stars = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        min_value=0,
        max_value=5,
        help_text=_("0–5 whenever total_score is set (0 when vetoed or below the lowest band)."),
    )
    final_on = serializers.DateField(read_only=True, allow_null=True)
    sections = SectionScoreSerializer(source="section_scores", many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "compound",
            "period",
            "state",
            "total_score",
            "vetoed",
            "stars",
            "final_on",
            "sections",
        ]
        read_only_fields = fields


class SubsidyFilterSerializer(serializers.Serializer):
    period = PeriodField(required=False, allow_blank=True, help_text=_("Only this month, YYYY-MM."))


class SubsidySerializer(serializers.ModelSerializer):
    compound = PlaceRefSerializer(read_only=True)
    period = PeriodField(read_only=True)
    area_m2 = money(help_text=_("The compound's floor area, m²."))
    stars = serializers.IntegerField(read_only=True)
    rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        read_only=True,
        help_text=_("Yuan per m² per month for those stars."),
    )
    amount = money(help_text=_("area_m2 × rate, to the fen."))
    state = serializers.ChoiceField(choices=SubsidyState.choices, read_only=True)
    month = serializers.IntegerField(
        read_only=True, help_text=_("Which of the 36 months from the first qualifying rating.")
    )

    class Meta:
        model = Subsidy
        fields = [
            "id",
            "compound",
            "period",
            "area_m2",
            "stars",
            "rate",
            "amount",
            "state",
            "month",
        ]
        read_only_fields = fields
