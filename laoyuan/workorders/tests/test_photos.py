"""Photos are checked to be images, limited in size and number, turned upright and stored with
no metadata (no GPS position)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from laoyuan.accounts.enums import Role
from laoyuan.workorders.models import Photo, WorkOrder
from laoyuan.workorders.services.photos import clean_photos
from laoyuan.workorders.tests.flow import jpeg, report

pytestmark = pytest.mark.django_db(transaction=False)

GPS_IFD = 0x8825


def _exif(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "TestMaker"  # Make
    exif[0x0110] = "SerialCam 9000"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (34.0, 45.0, 30.0)
    gps[3] = "E"
    gps[4] = (113.0, 40.0, 12.0)
    return exif


def _png(mode="RGBA", size=(30, 20), **save):
    out = io.BytesIO()
    color = (10, 120, 200, 128) if mode == "RGBA" else 0
    Image.new(mode, size, color).save(out, "PNG", **save)
    return SimpleUploadedFile("clear.png", out.getvalue(), content_type="image/png")


def _errors(uploads):
    with pytest.raises(ValidationError) as caught:
        clean_photos(uploads)
    return caught.value.message_dict


def test_gps_and_camera_metadata_are_stripped(cast, repair):
    upload = jpeg("gps.jpg", exif=_exif().tobytes())
    raw = upload.read()
    with Image.open(io.BytesIO(raw)) as original:  # the upload does carry a position
        assert original.getexif().get_ifd(GPS_IFD)[2] == (34.0, 45.0, 30.0)
    assert b"SerialCam" in raw
    order = report(cast, repair, photos=[upload])
    photo = Photo.objects.get(order=order)
    with photo.image.open("rb") as stored_file:
        stored = stored_file.read()
    assert b"Exif" not in stored and b"SerialCam" not in stored and b"TestMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(GPS_IFD) == {}
        assert "exif" not in image.info
        assert image.size == (40, 30)
    assert (photo.content_type, photo.width, photo.height, photo.size) == (
        "image/jpeg",
        40,
        30,
        len(stored),
    )
    assert photo.image.name.endswith(".jpg")
    assert photo.event.action == "create"


def test_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera was turned; the picture is shown rotated 90° clockwise.
    out = io.BytesIO()
    image = Image.new("RGB", (40, 20), (255, 255, 255))
    image.paste((255, 0, 0), (0, 0, 10, 10))  # red in the top-left corner as stored
    image.save(out, "JPEG", exif=_exif(orientation=6).tobytes(), quality=95)
    (photo,) = clean_photos([SimpleUploadedFile("turned.jpg", out.getvalue())])
    assert (photo.width, photo.height) == (20, 40)
    with Image.open(io.BytesIO(photo.content.read())) as upright:
        assert upright.size == (20, 40)
        assert "exif" not in upright.info
        red, green, blue = upright.getpixel((15, 3))  # now in the top-right corner
        assert red > 200 and green < 60 and blue < 60
        assert upright.getpixel((3, 3)) > (200, 200, 200)


def test_a_png_with_alpha_stays_a_png():
    (photo,) = clean_photos([_png()])
    assert (photo.content_type, photo.width, photo.height) == ("image/png", 30, 20)
    assert photo.content.name == "photo.png"
    with Image.open(io.BytesIO(photo.content.read())) as image:
        assert (image.format, image.mode) == ("PNG", "RGBA")
        assert image.getpixel((0, 0)) == (10, 120, 200, 128)


def test_a_palette_png_with_transparency_stays_a_png():
    (photo,) = clean_photos([_png(mode="P", transparency=0)])
    assert photo.content_type == "image/png"
    with Image.open(io.BytesIO(photo.content.read())) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0


def test_an_opaque_png_becomes_a_jpeg():
    (photo,) = clean_photos([_png(mode="L")])
    assert (photo.content_type, photo.content.name) == ("image/jpeg", "photo.jpg")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not a photo", b"", b"\xff\xd8\xff\xe0 truncated jpeg", b"GIF89a broken"],
)
def test_non_images_are_refused_naming_the_file(content):
    errors = _errors([jpeg("fine.jpg"), SimpleUploadedFile("账单.pdf", content)])
    assert errors == {"photos": ["账单.pdf is not a photo (JPEG, PNG or WebP)."]}


def test_more_than_8_mb_is_refused():
    big = SimpleUploadedFile("big.jpg", b"\xff" * (8 * 1024 * 1024 + 1), "image/jpeg")
    assert _errors([big]) == {"photos": ["big.jpg is larger than 8 MB."]}


def test_an_upload_that_hides_its_size_is_still_limited():
    class Unsized(SimpleUploadedFile):
        @property
        def size(self):
            return None

        @size.setter
        def size(self, value):
            pass

    big = Unsized("big.jpg", b"\xff" * (8 * 1024 * 1024 + 1), "image/jpeg")
    assert _errors([big]) == {"photos": ["big.jpg is larger than 8 MB."]}


def test_too_many_pixels_are_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    bomb = SimpleUploadedFile("bomb.png", out.getvalue(), "image/png")
    assert _errors([bomb]) == {"photos": ["bomb.png has too many pixels."]}


def test_large_photos_are_scaled_down():
    (photo,) = clean_photos([jpeg("wide.jpg", size=(5120, 1000))])
    assert (photo.width, photo.height) == (2560, 500)


def test_an_upload_read_before_is_read_from_its_start():
    upload = jpeg("read.jpg")
    upload.read()
    (photo,) = clean_photos([upload])
    assert (photo.width, photo.height) == (40, 30)


def test_at_most_six_photos():
    assert len(clean_photos([jpeg(f"{n}.jpg") for n in range(6)])) == 6
    assert _errors([jpeg(f"{n}.jpg") for n in range(7)]) == {
        "photos": ["At most 6 photos per step."]
    }


def test_a_refused_photo_keeps_the_order_from_being_created(cast, repair):
    with pytest.raises(ValidationError):
        report(cast, repair, photos=[jpeg(), SimpleUploadedFile("x.txt", b"hi")])
    assert WorkOrder.objects.count() == 0
    assert Photo.objects.count() == 0
    assert cast.users[Role.RESIDENT].is_active
