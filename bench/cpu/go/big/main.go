// Command big is the "large Go program" of the CPU benchmark: a realistic
// mix of standard-library work on generated data, in a module of several
// megabytes of Wasm. Each round it builds a few thousand records, encodes
// them as JSON, compresses and decompresses that with gzip, decodes it
// back, sorts the records several ways, runs regular expressions over the
// text, renders a text/template report, encodes XML and base64, and does
// some math/big arithmetic. Everything is deterministic (a fixed-seed PRNG,
// no clock, no maps in output order), and a CRC-32 of all the produced
// bytes is printed as the checksum.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"unicode"
)

// Record is one generated row.
type Record struct {
	ID      int               `json:"id" xml:"id,attr"`
	Name    string            `json:"name" xml:"name"`
	Email   string            `json:"email" xml:"email"`
	Score   float64           `json:"score" xml:"score"`
	Tags    []string          `json:"tags" xml:"tag"`
	Attrs   map[string]string `json:"attrs" xml:"-"`
	Visits  []int             `json:"visits" xml:"-"`
	Comment string            `json:"comment" xml:"comment"`
}

var (
	syllables = []string{"ka", "lo", "mi", "ren", "sa", "tor", "vel", "qu", "ix", "an", "bre", "don"}
	tagWords  = []string{"alpha", "beta", "gamma", "delta", "red", "green", "blue", "fast", "slow", "new", "old"}
	domains   = []string{"example.org", "mail.test", "corp.invalid", "uni.example"}
)

func word(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	return b.String()
}

func generate(r *rand.Rand, n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		first, last := word(r, 1+r.IntN(3)), word(r, 2+r.IntN(2))
		rec := Record{
			ID:     i*7919%100003 + r.IntN(10),
			Name:   strings.ToUpper(first[:1]) + first[1:] + " " + strings.ToUpper(last[:1]) + last[1:],
			Email:  first + "." + last + strconv.Itoa(r.IntN(100)) + "@" + domains[r.IntN(len(domains))],
			Score:  float64(r.IntN(1000000)) / 1000,
			Attrs:  map[string]string{},
			Visits: make([]int, 3+r.IntN(8)),
		}
		for t := r.IntN(5); t >= 0; t-- {
			rec.Tags = append(rec.Tags, tagWords[r.IntN(len(tagWords))])
		}
		for a := r.IntN(4); a >= 0; a-- {
			rec.Attrs[word(r, 1)] = word(r, 2)
		}
		for v := range rec.Visits {
			rec.Visits[v] = r.IntN(5000)
		}
		var c strings.Builder
		for w := 5 + r.IntN(20); w > 0; w-- {
			c.WriteString(word(r, 1+r.IntN(3)))
			if r.IntN(7) == 0 {
				c.WriteString(" #" + strconv.Itoa(r.IntN(1000)))
			}
			c.WriteByte(' ')
		}
		rec.Comment = strings.TrimSpace(c.String())
		recs[i] = rec
	}
	return recs
}

var (
	emailRE = regexp.MustCompile(`"email":"([a-z]+)\.([a-z]+)([0-9]*)@(mail\.test|uni\.example)"`)
	hashRE  = regexp.MustCompile(`#([0-9]{2,3})\b`)
	tagRE   = regexp.MustCompile(`"tags":\[("(?:alpha|gamma)",?)+`)
)

var report = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"join":  strings.Join,
}).Parse(`{{range $i, $r := .}}{{if lt $i 200}}{{$r.ID}}	{{upper $r.Name}}	{{printf "%.3f" $r.Score}}	{{join $r.Tags ","}}
{{end}}{{end}}`))

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "big:", err)
		os.Exit(1)
	}
}

var rounds = 6

func main() {
	r := rand.New(rand.NewPCG(1, 2))
	crc := crc32.NewIEEE()
	for round := 0; round < rounds; round++ {
		recs := generate(r, 4000)

		js, err := json.Marshal(recs)
		must(err)
		crc.Write(js)

		var zbuf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&zbuf, gzip.BestSpeed+round%3*3)
		must(err)
		_, err = zw.Write(js)
		must(err)
		must(zw.Close())
		zr, err := gzip.NewReader(&zbuf)
		must(err)
		back, err := io.ReadAll(zr)
		must(err)
		if !bytes.Equal(back, js) {
			must(fmt.Errorf("gzip round trip changed the data"))
		}

		var decoded []Record
		must(json.Unmarshal(back, &decoded))
		sort.SliceStable(decoded, func(i, j int) bool { return decoded[i].Score > decoded[j].Score })
		slices.SortStableFunc(decoded, func(a, b Record) int { return strings.Compare(a.Name, b.Name) })
		byEmail := slices.Clone(decoded)
		sort.Slice(byEmail, func(i, j int) bool { return byEmail[i].Email < byEmail[j].Email })
		for _, rec := range decoded[:50] {
			fmt.Fprintf(crc, "%d|%s|%g|%v\n", rec.ID, rec.Name, rec.Score, rec.Visits)
		}
		fmt.Fprintf(crc, "%s %s\n", byEmail[0].Email, byEmail[len(byEmail)-1].Email)

		matches := emailRE.FindAllSubmatch(js, -1)
		hashes := hashRE.FindAllString(string(js), -1)
		tagged := tagRE.FindAllIndex(js, -1)
		fmt.Fprintf(crc, "re %d %d %d\n", len(matches), len(hashes), len(tagged))
		for _, m := range matches[:min(20, len(matches))] {
			crc.Write(m[2])
		}
		redacted := emailRE.ReplaceAll(js[:min(len(js), 200000)], []byte(`"email":"$2@$4"`))
		crc.Write(redacted)

		var text bytes.Buffer
		must(report.Execute(&text, decoded))
		crc.Write(text.Bytes())
		words := strings.FieldsFunc(text.String(), func(c rune) bool { return !unicode.IsLetter(c) })
		fmt.Fprintf(crc, "words %d\n", len(words))

		xb, err := xml.MarshalIndent(struct {
			XMLName xml.Name `xml:"records"`
			Recs    []Record `xml:"record"`
		}{Recs: decoded[:500]}, "", " ")
		must(err)
		crc.Write(xb)
		crc.Write([]byte(base64.StdEncoding.EncodeToString(zbuf.Bytes()[:min(zbuf.Len(), 65536)])))

		f := new(big.Int).MulRange(1, int64(1500+round*100))
		p := new(big.Int).Exp(big.NewInt(3), big.NewInt(int64(2000+round)), big.NewInt(1000000007))
		crc.Write([]byte(f.Text(36)))
		crc.Write([]byte(p.String()))
	}
	fmt.Printf("%08x\n", crc.Sum32())
}
