package jaccounttest

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// The operations whose reply is a file or an image, not the envelope
// (entities "raw" in the spec): the fake draws real images, so that a
// client can decode what it gets; a file download serves the spec's
// example bytes.

// rawExample serves the example of a raw operation: for an image type, a
// small PNG; otherwise the example's bytes with the spec's media type.
func rawExample(op *operation) reply {
	if strings.HasPrefix(op.media, "image/") {
		return drawImage("png", 8, 8, op.path)
	}
	var body string
	if json.Unmarshal([]byte(op.example), &body) != nil {
		return fail(http.StatusInternalServerError, errnoException, "the spec's example of a raw reply is not a string")
	}
	return reply{status: http.StatusOK, body: []byte(body), contentType: op.media}
}

// imageTypes are the formats the fake draws, by file extension.
var imageTypes = map[string]string{"png": "image/png", "gif": "image/gif", "jpg": "image/jpeg", "jpeg": "image/jpeg"}

// drawImage draws a w×h black-and-white pattern seeded by seed, in the
// format of the extension ext.
func drawImage(ext string, w, h int, seed string) reply {
	ct, ok := imageTypes[strings.ToLower(ext)]
	if !ok {
		return fail(http.StatusBadRequest, errnoBadParameters, "imageType "+ext+" is not one the fake draws (png, gif, jpg)")
	}
	f := fnv.New64a()
	_, _ = f.Write([]byte(seed))
	bits := f.Sum64()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	for y := range h {
		for x := range w {
			if bits>>uint((x*7+y*13)%64)&1 == 1 {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	var buf bytes.Buffer
	var err error
	switch ct {
	case "image/png":
		err = png.Encode(&buf, img)
	case "image/gif":
		err = gif.Encode(&buf, img, nil)
	default:
		err = jpeg.Encode(&buf, img, nil)
	}
	if err != nil {
		return fail(http.StatusInternalServerError, errnoException, "cannot draw the image")
	}
	return reply{status: http.StatusOK, body: buf.Bytes(), contentType: ct}
}

// getBarcodeQR draws the QR code of /v1/barcode/qr/{fileName}.{imageType}.
func (s *Server) getBarcodeQR(r *http.Request, _ *principal) reply {
	return drawImage(r.PathValue("imageType"), 21, 21, "qr:"+r.PathValue("fileName"))
}

// getBarcode draws the barcode of /v1/barcode/{type}/{value}.{imageType}.
func (s *Server) getBarcode(r *http.Request, _ *principal) reply {
	return drawImage(r.PathValue("imageType"), 64, 16, r.PathValue("type")+":"+r.PathValue("value"))
}

var thumbSizeRE = regexp.MustCompile(`^([0-9]{1,4})x([0-9]{1,4})$`)

// getFileThumbnail draws a PNG of the size asked for (at most 1024×1024).
func (s *Server) getFileThumbnail(r *http.Request, _ *principal) reply {
	m := thumbSizeRE.FindStringSubmatch(r.PathValue("size"))
	if m == nil {
		return fail(http.StatusBadRequest, errnoBadParameters, "size must look like 320x200")
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if w < 1 || h < 1 || w > 1024 || h > 1024 {
		return fail(http.StatusBadRequest, errnoBadParameters, "size must be between 1x1 and 1024x1024")
	}
	return drawImage("png", w, h, "thumb:"+r.PathValue("id"))
}
